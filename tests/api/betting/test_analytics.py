"""A bettor's analytics (services.analytics, services.units) checked by hand on five bets.

The bets (starting bankroll 1,000.00 units = 100000 cents, so the default unit is 1000):

| # | tip-off (UTC) | backed        | odds | stake | result | profit | closing price, same side |
|---|---------------|---------------|------|-------|--------|--------|--------------------------|
| 1 | 2025-11-10    | BOS (home)    | -150 | 1000  | won    |   +666 | -170                     |
| 2 | 2025-11-20    | NYK (home)    | +200 | 1000  | won    |  +2000 | +150                     |
| 3 | 2025-12-05    | DEN (away)    | +130 | 2000  | lost   |  -2000 | +140                     |
| 4 | 2025-12-15    | LAL (away)    | -200 |  500  | lost   |   -500 | -250                     |
| 5 | 2025-12-20    | BOS (home)    | +100 | 1000  | won    |  +1000 | none (no pre-game quote) |

settled in that order; profit of a win: 1000 * 100 // 150 = 666, 1000 * 200 // 100 = 2000.
Plus an open bet on a scheduled game and a cancelled one, which no figure counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Invalid
from courtside.errors import status_of
from courtside.models import Bet, Game, Team, User, utcnow
from courtside.services import analytics, record_reads, units
from tests.api.auth.helpers import make_user, user_headers
from tests.helpers import both_dialects, make_game, make_odds, make_teams, utc

UTC = ZoneInfo("UTC")


async def _bet(
    session: AsyncSession,
    user_id: int,
    game: Game,
    side: str,
    odds: int,
    stake: int,
    profit: int | None,
    *,
    cancelled: bool = False,
) -> Bet:
    status = "open" if profit is None else ("won" if profit >= 0 else "lost")
    settled = None if profit is None else game.start_time + timedelta(hours=3)
    if cancelled:
        status, profit, settled = "refunded", 0, game.start_time - timedelta(hours=2)
    bet = Bet(
        user_id=user_id,
        game_id=game.id,
        side=side,
        stake_cents=stake,
        odds=odds,
        bookmaker="book",
        odds_recorded_at=game.start_time - timedelta(days=1),
        status=status,
        profit_cents=profit,
        placed_at=game.start_time - timedelta(days=1),
        settled_at=settled,
        cancelled_at=settled if cancelled else None,
    )
    session.add(bet)
    await session.flush()
    return bet


async def _final(
    session: AsyncSession, home: Team, away: Team, at: datetime, home_won: bool
) -> Game:
    scores = (110, 100) if home_won else (100, 110)
    return await make_game(
        session, home, away, at, status="final", home_score=scores[0], away_score=scores[1]
    )


async def _history(session: AsyncSession) -> int:
    user = await make_user(session)
    t = await make_teams(session)
    g1 = await _final(session, t["BOS"], t["NYK"], utc(2025, 11, 10, 0), True)
    g2 = await _final(session, t["NYK"], t["BOS"], utc(2025, 11, 20, 0), True)
    g3 = await _final(session, t["LAL"], t["DEN"], utc(2025, 12, 5, 0), True)
    g4 = await _final(session, t["DEN"], t["LAL"], utc(2025, 12, 15, 0), True)
    g5 = await _final(session, t["BOS"], t["NYK"], utc(2025, 12, 20, 0), True)
    # The prices taken, a day before; the closing quotes an hour before tip-off; a quote
    # after tip-off (in-play) that the closing line must ignore.
    for game, home, away, closing_home, closing_away in (
        (g1, -150, 130, -170, 150),
        (g2, 200, -240, 150, -170),
        (g3, -150, 130, -160, 140),
        (g4, 170, -200, 210, -250),
    ):
        await make_odds(session, game, home, away, game.start_time - timedelta(days=1))
        await make_odds(
            session, game, closing_home, closing_away, game.start_time - timedelta(hours=1)
        )
        await make_odds(session, game, 900, -2000, game.start_time + timedelta(hours=1))
    await _bet(session, user.id, g1, "home", -150, 1000, 666)
    await _bet(session, user.id, g2, "home", 200, 1000, 2000)
    await _bet(session, user.id, g3, "away", 130, 2000, -2000)
    await _bet(session, user.id, g4, "away", -200, 500, -500)
    await _bet(session, user.id, g5, "home", 100, 1000, 1000)
    later = await make_game(session, t["LAL"], t["BOS"], utcnow() + timedelta(days=2))
    await _bet(session, user.id, later, "home", -110, 700, None)
    cancelled = await make_game(session, t["DEN"], t["NYK"], utcnow() + timedelta(days=3))
    await _bet(session, user.id, cancelled, "home", -110, 900, 0, cancelled=True)
    return user.id


@both_dialects
async def test_totals_units_odds_and_break_even_by_hand(session: AsyncSession) -> None:
    stats = await analytics.bettor_stats(session, await _history(session), zone=UTC)

    assert (stats.won, stats.lost) == (3, 2)
    assert stats.staked_cents == 5500  # 1000 + 1000 + 2000 + 500 + 1000
    assert stats.profit_cents == 1166  # 666 + 2000 - 2000 - 500 + 1000
    assert stats.roi == pytest.approx(0.212)  # 1166 / 5500
    assert (stats.unit_cents, stats.unit_is_default) == (1000, True)  # 1 % of 100000
    assert stats.units_won == pytest.approx(1.166)  # 1166 / 1000
    assert stats.win_rate == pytest.approx(0.6)  # 3 / 5
    # implied: -150 → 150/250 = .6; +200 → 100/300 = .333333; +130 → 100/230 = .434783;
    # -200 → 200/300 = .666667; +100 → .5; mean = 2.534783 / 5
    assert stats.break_even_rate == pytest.approx(0.5069565, abs=1e-6)
    # decimal: 1.666667 + 3.0 + 2.3 + 1.5 + 2.0 = 10.466667; / 5 = 2.093333 → +109
    assert stats.average_odds == 109


@both_dialects
async def test_closing_line_value_per_bet_and_average_by_hand(session: AsyncSession) -> None:
    stats = await analytics.bettor_stats(session, await _history(session), zone=UTC)

    clv = {bet.odds: bet.clv for bet in stats.bets}
    assert clv[-150] == pytest.approx(170 / 270 - 150 / 250)  # .629630 - .6 = +.029630
    assert clv[200] == pytest.approx(100 / 250 - 100 / 300)  # .4 - .333333 = +.066667
    assert clv[130] == pytest.approx(100 / 240 - 100 / 230)  # .416667 - .434783 = -.018116
    assert clv[-200] == pytest.approx(250 / 350 - 200 / 300)  # .714286 - .666667 = +.047619
    assert clv[100] is None  # no pre-game quote
    assert stats.clv_bets == 4
    # (.029630 + .066667 - .018116 + .047619) / 4 = .125799 / 4
    assert stats.average_clv == pytest.approx(0.03145, abs=1e-5)


@both_dialects
async def test_breakdowns_by_hand(session: AsyncSession) -> None:
    stats = await analytics.bettor_stats(session, await _history(session), zone=UTC)

    def rows(slices: list[analytics.Slice]) -> list[tuple[str, str, int, int]]:
        return [(s.label, s.record, s.staked_cents, s.profit_cents) for s in slices]

    b = stats.breakdowns
    assert rows(b.month) == [
        ("2025-11", "2-0", 2000, 2666),  # bets 1, 2: 666 + 2000
        ("2025-12", "1-2", 3500, -1500),  # bets 3, 4, 5: -2000 - 500 + 1000
    ]
    assert [s.roi for s in b.month] == pytest.approx([2666 / 2000, -1500 / 3500])
    assert rows(b.team) == [
        ("BOS", "2-0", 2000, 1666),  # bets 1, 5
        ("DEN", "0-1", 2000, -2000),
        ("LAL", "0-1", 500, -500),
        ("NYK", "1-0", 1000, 2000),
    ]
    assert rows(b.price) == [
        ("favourite", "1-1", 1500, 166),  # bets 1, 4: 666 - 500
        ("underdog", "2-1", 4000, 1000),  # bets 2, 3, 5: 2000 - 2000 + 1000
    ]
    assert [s.roi for s in b.price] == pytest.approx([166 / 1500, 0.25])
    assert rows(b.venue) == [
        ("home", "3-0", 3000, 3666),  # bets 1, 2, 5
        ("away", "0-2", 2500, -2500),  # bets 3, 4
    ]
    assert rows(b.odds_band) == [
        ("-200 or shorter", "0-1", 500, -500),  # bet 4
        ("-199 to -100", "1-0", 1000, 666),  # bet 1
        ("+100 to +199", "1-1", 3000, -1000),  # bets 3, 5
        ("+200 or longer", "1-0", 1000, 2000),  # bet 2
    ]


@both_dialects
async def test_streaks_and_series_by_hand(session: AsyncSession) -> None:
    stats = await analytics.bettor_stats(session, await _history(session), zone=UTC)

    # W W L L W
    assert stats.streaks == analytics.Streaks(current="W1", longest_win=2, longest_loss=2)
    assert [p.cumulative_cents for p in stats.series] == [666, 2666, 666, 166, 1166]
    assert [p.running_clv for p in stats.series] == pytest.approx(
        [
            0.0296296,  # bet 1
            0.0481481,  # (.029630 + .066667) / 2
            0.0260601,  # .078180 / 3
            0.0314498,  # .125799 / 4
            0.0314498,  # bet 5 has no CLV: unchanged
        ],
        abs=1e-6,
    )


async def test_months_follow_the_viewers_zone(session: AsyncSession) -> None:
    user = await make_user(session)
    t = await make_teams(session)
    # 2025-11-29 12:00 UTC is Nov 30, 02:00 at UTC+14; 2025-11-30 12:00 UTC is Dec 1 there.
    first = await _final(session, t["BOS"], t["NYK"], utc(2025, 11, 29, 12), True)
    second = await _final(session, t["NYK"], t["BOS"], utc(2025, 11, 30, 12), True)
    await _bet(session, user.id, first, "home", 120, 100, 120)
    await _bet(session, user.id, second, "home", 120, 100, 120)
    in_utc = await analytics.bettor_stats(session, user.id, zone=UTC)
    assert [(s.label, s.bets) for s in in_utc.breakdowns.month] == [("2025-11", 2)]
    far_east = await analytics.bettor_stats(session, user.id, zone=ZoneInfo("Pacific/Kiritimati"))
    assert [(s.label, s.bets) for s in far_east.breakdowns.month] == [
        ("2025-11", 1),
        ("2025-12", 1),
    ]


async def test_no_bets_no_figures(session: AsyncSession) -> None:
    user = await make_user(session)
    stats = await analytics.bettor_stats(session, user.id, zone=UTC)
    assert stats.bets == []
    assert (stats.roi, stats.win_rate, stats.average_odds, stats.average_clv) == (None,) * 4
    assert stats.streaks == analytics.Streaks("", 0, 0)
    assert stats.units_won == 0


@both_dialects
async def test_the_unit_is_a_validated_setting(session: AsyncSession) -> None:
    user_id = await _history(session)
    assert await units.set_unit(session, user_id, 2500) == units.Unit(2500, False)
    stats = await analytics.bettor_stats(session, user_id, zone=UTC)
    assert stats.units_won == pytest.approx(0.4664)  # 1166 / 2500
    for wrong in (0, -5, 100_000_001):
        with pytest.raises(Invalid) as refused:
            await units.set_unit(session, user_id, wrong)
        assert status_of(refused.value) == 422
    assert await units.set_unit(session, user_id, None) == units.Unit(1000, True)


@both_dialects
async def test_the_database_refuses_a_unit_that_is_not_positive(session: AsyncSession) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from courtside.models import Wallet
    from courtside.services.wallets import wallet_for

    user = await make_user(session)
    await wallet_for(session, user.id)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                update(Wallet).where(Wallet.user_id == user.id).values(unit_cents=0)
            )


def test_average_odds_converts_back_to_american() -> None:
    assert analytics.american_odds(analytics.decimal_odds(-150)) == -150
    assert analytics.american_odds(analytics.decimal_odds(250)) == 250
    assert analytics.american_odds(1.6) == -167  # -100 / 0.6 = -166.67


# --- the JSON API ---------------------------------------------------------------------------


@both_dialects
async def test_my_stats_api_carries_the_hand_computed_figures(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user_id = await _history(session)
    user = await session.get(User, user_id)
    assert user is not None
    user.time_zone = "UTC"
    await session.commit()

    response = await client.get("/v1/me/stats", headers=user_headers(user))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    body = response.json()
    assert (body["won"], body["lost"], body["profit_cents"], body["staked_cents"]) == (
        3, 2, 1166, 5500,
    )  # fmt: skip
    assert body["roi"] == pytest.approx(0.212)
    assert (body["unit_cents"], body["unit_is_default"]) == (1000, True)
    assert body["units_won"] == pytest.approx(1.166)
    assert body["average_odds"] == 109
    assert body["average_clv"] == pytest.approx(0.03145, abs=1e-5)
    assert body["streaks"] == {"current": "W1", "longest_win": 2, "longest_loss": 2}
    assert [(r["label"], r["record"], r["profit_cents"]) for r in body["by_month"]] == [
        ("2025-11", "2-0", 2666),
        ("2025-12", "1-2", -1500),
    ]
    assert [r["label"] for r in body["by_favourite"]] == ["favourite", "underdog"]
    assert [r["label"] for r in body["by_venue"]] == ["home", "away"]
    assert len(body["by_team"]) == 4 and len(body["by_odds_band"]) == 4
    assert [b["closing_odds"] for b in body["bets"]] == [-170, 150, 140, -250, None]
    assert [p["cumulative_cents"] for p in body["series"]] == [666, 2666, 666, 166, 1166]
    assert body["time_zone"] == "UTC"


@both_dialects
async def test_setting_the_unit_through_the_api(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    headers = user_headers(user)

    done = await client.put("/v1/me/unit", json={"unit": 25.5}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"cents": 2550, "is_default": False, "unit": 25.5}
    stats = (await client.get("/v1/me/stats", headers=headers)).json()
    assert (stats["unit_cents"], stats["unit_is_default"]) == (2550, False)

    for wrong in ({"unit": 0}, {"unit": -1}, {"unit": 1.234}, {"unit": "ten"}, {"units": 5}):
        refused = await client.put("/v1/me/unit", json=wrong, headers=headers)
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.json()["error"]["code"]
    too_big = await client.put("/v1/me/unit", json={"unit": 2_000_000}, headers=headers)
    assert too_big.status_code == 422
    assert too_big.json()["error"]["code"] == "invalid_unit"

    reset = await client.put("/v1/me/unit", json={"unit": None}, headers=headers)
    assert reset.json() == {"cents": 1000, "is_default": True, "unit": 10.0}


@both_dialects
async def test_the_csv_carries_units_closing_odds_and_clv(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    import csv
    import io

    user = await session.get(User, await _history(session))
    assert user is not None
    await session.commit()

    response = await client.get("/v1/me/bets.csv", headers=user_headers(user))

    listed = list(csv.DictReader(io.StringIO(response.text)))
    rows = {row["odds"]: row for row in listed}
    picked = ("profit_units", "closing_odds", "clv_pts")
    assert [rows["-150"][c] for c in picked] == ["0.67", "-170", "+2.96"]  # 666/1000; .029630
    assert [rows["200"][c] for c in picked] == ["2.00", "150", "+6.67"]  # .066667
    assert [rows["130"][c] for c in picked] == ["-2.00", "140", "-1.81"]  # -.018116
    assert [rows["-200"][c] for c in picked] == ["-0.50", "-250", "+4.76"]  # .047619
    assert [rows["100"][c] for c in picked] == ["1.00", "", ""]  # no pre-game quote
    # the open bet (not started) and the cancelled one: no result, no closing line
    others = [[row[c] for c in ("status", *picked)] for row in listed if row["odds"] == "-110"]
    assert sorted(others) == [["cancelled", "0.00", "", ""], ["open", "", "", ""]]


@both_dialects
async def test_the_record_reads_the_same_analytics_in_one_statement(
    session: AsyncSession,
) -> None:
    """The record page's one read of the user's bets (`record_reads.record_rows`, then
    `record_of`) gives the same decided bets, closing prices included, as `bettor_stats`."""
    user_id = await _history(session)
    rows = await record_reads.record_rows(session, user_id)
    read = record_reads.record_of(rows, balance_cents=0, starting_cents=0)
    stats = await analytics.bettor_stats(session, user_id, zone=UTC)
    assert read.decided == stats.bets
    assert [bet.closing_odds for bet in read.decided] == [-170, 150, 140, -250, None]
    assert (read.summary.bets, read.summary.won, read.summary.lost, read.summary.open) == (
        7,
        3,
        2,
        1,
    )
    assert [point.cumulative_cents for point in read.series] == [666, 2666, 666, 166, 1166]
