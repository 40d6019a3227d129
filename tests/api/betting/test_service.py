"""Placing, refusing and settling bets through the service, on both dialects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import DomainError
from courtside.errors import status_for
from courtside.models import Bet, Game, Wallet, utcnow
from courtside.odds import format_units
from courtside.schemas.common import PageParams
from courtside.services import bet_record, placing, settlement, wallets
from courtside.services.flags import BETTING_OPEN
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate, set_flag
from tests.helpers import both_dialects, make_odds

pytestmark = pytest.mark.usefixtures("cache")

START = 100_000


async def _bet_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Bet.id))) or 0)


async def _refused(session: AsyncSession, code: str, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await placing.place_bet(session, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value.message
    return caught.value


@both_dialects
async def test_a_bet_captures_the_newest_line_and_debits_the_wallet(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session, home_odds=-150, away_odds=130)
    game = slate.games[0]
    now = utcnow()
    await make_odds(session, game, -170, 145, now - timedelta(minutes=5), bookmaker="zeta")
    await make_odds(session, game, -160, 140, now - timedelta(minutes=10), bookmaker="alpha")

    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=2_500
    )

    assert (bet.status, bet.odds, bet.bookmaker, bet.stake_cents) == ("open", 145, "zeta", 2_500)
    assert bet.profit_cents is None
    assert await wallets.bankroll_cents(session, user.id) == START - 2_500
    summary = await bet_record.summary(session, user.id)
    assert (summary.open, summary.open_stake_cents, summary.bankroll_cents) == (1, 2_500, 97_500)


@both_dialects
async def test_the_whole_bankroll_may_be_staked_but_not_a_cent_more(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session, games=2)
    first, second = slate.games
    await placing.place_bet(
        session, user_id=user.id, game_id=first.id, side="home", stake_cents=START
    )
    error = await _refused(
        session,
        "insufficient_bankroll",
        user_id=user.id,
        game_id=second.id,
        side="home",
        stake_cents=1,
    )
    assert status_for(error) == 409
    assert "0.00 units" in error.message
    assert await wallets.bankroll_cents(session, user.id) == 0


@both_dialects
@pytest.mark.parametrize(
    ("stake", "side", "code", "status"),
    [
        (0, "home", "invalid_stake", 422),
        (-500, "home", "invalid_stake", 422),
        (10**12, "home", "invalid_stake", 422),
        (START + 1, "home", "insufficient_bankroll", 409),
        (100, "draw", "invalid_side", 422),
    ],
)
async def test_bad_stakes_and_sides_are_refused(
    session: AsyncSession, stake: int, side: str, code: str, status: int
) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    error = await _refused(
        session, code, user_id=user.id, game_id=game.id, side=side, stake_cents=stake
    )
    assert status_for(error) == status
    assert await _bet_count(session) == 0
    assert await wallets.bankroll_cents(session, user.id) == START


@both_dialects
async def test_a_second_bet_on_the_same_game_is_refused(session: AsyncSession) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="home", stake_cents=1_000
    )
    error = await _refused(
        session, "duplicate_bet", user_id=user.id, game_id=game.id, side="away", stake_cents=1_000
    )
    assert error.message == "You already have a bet on this game."
    assert error.details == {"bet_id": bet.id}
    assert await _bet_count(session) == 1
    assert await wallets.bankroll_cents(session, user.id) == START - 1_000


@both_dialects
async def test_other_users_may_bet_on_the_same_game(session: AsyncSession) -> None:
    game = (await make_slate(session)).games[0]
    for _ in range(3):
        user = await make_user(session)
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="home", stake_cents=100
        )
    assert await _bet_count(session) == 3


@both_dialects
@pytest.mark.parametrize(
    ("status", "scores"), [("live", (50, 48)), ("final", (101, 99)), ("postponed", (None, None))]
)
async def test_no_bet_on_a_game_that_is_not_scheduled(
    session: AsyncSession, status: str, scores: tuple[int | None, int | None]
) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    game.status, (game.home_score, game.away_score) = status, scores
    await session.flush()
    error = await _refused(
        session, "game_closed", user_id=user.id, game_id=game.id, side="home", stake_cents=100
    )
    assert status in error.message
    assert await _bet_count(session) == 0


@both_dialects
async def test_no_bet_once_the_game_has_tipped_off_by_the_server_clock(
    session: AsyncSession,
) -> None:
    user = await make_user(session)
    game = (await make_slate(session, starts_in=timedelta(minutes=30))).games[0]
    kwargs: dict[str, Any] = {
        "user_id": user.id,
        "game_id": game.id,
        "side": "home",
        "stake_cents": 100,
    }
    error = await _refused(session, "game_started", now=game.start_time, **kwargs)
    assert "tipped off" in error.message
    await _refused(session, "game_started", now=game.start_time + timedelta(seconds=1), **kwargs)
    bet = await placing.place_bet(session, now=game.start_time - timedelta(seconds=1), **kwargs)
    assert bet.id is not None


@both_dialects
async def test_no_bet_without_odds(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session)
    bare = Game(
        external_id="no-odds",
        season=2026,
        start_time=utcnow() + timedelta(days=2),
        home_team_id=slate.teams["LAL"].id,
        away_team_id=slate.teams["BOS"].id,
        status="scheduled",
    )
    session.add(bare)
    await session.flush()
    await _refused(
        session, "no_odds", user_id=user.id, game_id=bare.id, side="home", stake_cents=100
    )
    assert await _bet_count(session) == 0


@both_dialects
async def test_an_unknown_game_is_404(session: AsyncSession) -> None:
    user = await make_user(session)
    error = await _refused(
        session, "not_found", user_id=user.id, game_id=999_999, side="home", stake_cents=100
    )
    assert status_for(error) == 404


@both_dialects
async def test_the_betting_open_flag_closes_betting(session: AsyncSession) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    await set_flag(session, BETTING_OPEN, False)
    error = await _refused(
        session, "betting_closed", user_id=user.id, game_id=game.id, side="home", stake_cents=100
    )
    assert "closed" in error.message
    await set_flag(session, BETTING_OPEN, True)
    await placing.place_bet(session, user_id=user.id, game_id=game.id, side="home", stake_cents=100)
    assert await _bet_count(session) == 1


async def _finish(session: AsyncSession, game: Game, home: int, away: int) -> None:
    game.status, game.home_score, game.away_score = "final", home, away
    await session.flush()


@both_dialects
async def test_settlement_pays_winners_charges_losers_and_is_idempotent(
    session: AsyncSession,
) -> None:
    home_fan, away_fan = await make_user(session), await make_user(session)
    game = (await make_slate(session, home_odds=-150, away_odds=130)).games[0]
    home_bet = await placing.place_bet(
        session, user_id=home_fan.id, game_id=game.id, side="home", stake_cents=15_000
    )
    away_bet = await placing.place_bet(
        session, user_id=away_fan.id, game_id=game.id, side="away", stake_cents=10_000
    )
    assert await settlement.settle_games(session, [game.id]) == 0  # still scheduled

    await _finish(session, game, 110, 104)
    assert await settlement.settle_games(session, [game.id]) == 2

    assert (home_bet.status, home_bet.profit_cents) == ("won", 10_000)
    assert (away_bet.status, away_bet.profit_cents) == ("lost", -10_000)
    assert home_bet.settled_at is not None
    assert await wallets.bankroll_cents(session, home_fan.id) == START + 10_000
    assert await wallets.bankroll_cents(session, away_fan.id) == START - 10_000

    assert await settlement.settle_games(session, [game.id]) == 0
    assert await settlement.settle_all(session) == 0
    assert await wallets.bankroll_cents(session, home_fan.id) == START + 10_000
    assert await wallets.bankroll_cents(session, away_fan.id) == START - 10_000


@both_dialects
async def test_a_postponed_game_refunds_the_stake(session: AsyncSession) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    bet = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=4_000
    )
    game.status = "postponed"
    await session.flush()
    assert await settlement.settle_games(session, [game.id]) == 1
    assert (bet.status, bet.profit_cents) == ("refunded", 0)
    assert await wallets.bankroll_cents(session, user.id) == START
    assert await settlement.settle_games(session, [game.id]) == 0
    summary = await bet_record.summary(session, user.id)
    assert (summary.refunded, summary.won, summary.lost, summary.roi) == (1, 0, 0, None)


@both_dialects
async def test_a_refunded_bet_does_not_block_betting_on_the_rescheduled_game(
    session: AsyncSession,
) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=4_000
    )
    game.status = "postponed"
    await session.flush()
    assert await settlement.settle_games(session, [game.id]) == 1
    game.status = "scheduled"
    game.start_time = utcnow() + timedelta(days=7)
    await session.flush()
    again = await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="home", stake_cents=2_500
    )
    assert again.status == "open"
    await _refused(
        session, "duplicate_bet", user_id=user.id, game_id=game.id, side="home", stake_cents=100
    )
    assert await _bet_count(session) == 2
    assert await wallets.bankroll_cents(session, user.id) == START - 2_500


@both_dialects
async def test_the_database_allows_one_live_bet_per_user_and_game(session: AsyncSession) -> None:
    """The partial unique index itself, without the service's check in front of it."""
    from sqlalchemy.exc import IntegrityError

    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    now = utcnow()
    refunded = Bet(
        user_id=user.id, game_id=game.id, side="home", stake_cents=100, odds=-150,
        status="refunded", profit_cents=0, placed_at=now, settled_at=now, bookmaker="b",
        odds_recorded_at=now,
    )  # fmt: skip
    live = Bet(
        user_id=user.id, game_id=game.id, side="away", stake_cents=100, odds=130,
        status="open", placed_at=now, bookmaker="b", odds_recorded_at=now,
    )  # fmt: skip
    session.add_all([refunded, live])
    await session.flush()
    twin = Bet(
        user_id=user.id, game_id=game.id, side="home", stake_cents=100, odds=-150,
        status="open", placed_at=now, bookmaker="b", odds_recorded_at=now,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(twin)


@both_dialects
async def test_settlement_of_nothing_is_zero(session: AsyncSession) -> None:
    assert await settlement.settle_games(session, []) == 0
    assert await settlement.settle_games(session, [123_456]) == 0


@both_dialects
async def test_summary_and_profit_series(session: AsyncSession) -> None:
    user = await make_user(session)
    slate = await make_slate(session, games=4, home_odds=-200, away_odds=170)
    g1, g2, g3, g4 = slate.games
    await placing.place_bet(session, user_id=user.id, game_id=g1.id, side="home", stake_cents=2_000)
    await placing.place_bet(session, user_id=user.id, game_id=g2.id, side="away", stake_cents=1_000)
    await placing.place_bet(session, user_id=user.id, game_id=g3.id, side="home", stake_cents=500)
    await placing.place_bet(session, user_id=user.id, game_id=g4.id, side="home", stake_cents=300)
    t0 = utcnow()
    await _finish(session, g1, 100, 90)  # home won: +1,000
    await settlement.settle_games(session, [g1.id], now=t0)
    await _finish(session, g2, 100, 90)  # away lost: -1,000
    await settlement.settle_games(session, [g2.id], now=t0 + timedelta(hours=1))
    await _finish(session, g3, 120, 90)  # home won: +250
    await settlement.settle_games(session, [g3.id], now=t0 + timedelta(hours=2))

    summary = await bet_record.summary(session, user.id)
    assert (summary.bets, summary.won, summary.lost, summary.open) == (4, 2, 1, 1)
    assert summary.record == "2-1"
    assert summary.win_pct == pytest.approx(2 / 3)
    assert summary.profit_cents == 250
    assert summary.staked_cents == 3_500
    assert summary.roi == pytest.approx(250 / 3_500)
    assert summary.open_stake_cents == 300
    assert summary.bankroll_cents == START + 250 - 300

    series = await bet_record.profit_series(session, user.id)
    assert [p.cumulative_cents for p in series] == [1_000, 0, 250]
    assert [p.at for p in series] == sorted(p.at for p in series)

    page = await bet_record.list_bets(session, user.id, PageParams(limit=2, offset=0))
    assert page.total == 4
    assert [b.game_id for b in page.items] == [g4.id, g3.id]
    assert page.items[0].game.home_team.abbreviation == "DEN"
    assert len([b async for b in bet_record.iter_bets(session, user.id, batch=3)]) == 4


@both_dialects
async def test_a_user_without_bets_has_the_starting_bankroll(session: AsyncSession) -> None:
    user = await make_user(session)
    summary = await bet_record.summary(session, user.id)
    assert (summary.bets, summary.bankroll_cents, summary.win_pct, summary.roi) == (
        0,
        START,
        None,
        None,
    )
    assert await bet_record.profit_series(session, user.id) == []
    assert await session.get(Wallet, user.id) is None


def test_format_units() -> None:
    assert format_units(123_456_789) == "1,234,567.89"
    assert format_units(-5) == "-0.05"
    assert format_units(0) == "0.00"
