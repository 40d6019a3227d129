"""The model's track record against the market (services.track_record), by hand.

Five final games with a prediction (the newest one counts) and closing lines:

| # | tip-off (UTC) | season | model p | home won | closing home / away | market q (margin out)   |
|---|---------------|--------|---------|----------|---------------------|-------------------------|
| 1 | 2025-11-10    | 2025   | 0.70    | yes      | -150 / +130         | .6/(.6+10/23) = 69/119  |
| 2 | 2025-11-20    | 2025   | 0.40    | yes      | +120 / -140         | (5/11)/(5/11+7/12)=60/137|
| 3 | 2026-12-05    | 2026   | 0.55    | no       | -110 / -110         | 0.5                     |
| 4 | 2027-01-15    | 2026   | 0.20    | no       | none                | -                       |
| 5 | 2027-01-20    | 2026   | 0.75    | no       | -300 / +250         | .75/(.75+2/7) = 21/29   |

69/119 = .579832, 60/137 = .437956, 21/29 = .724138. Also: a final game without a
prediction, a scheduled game with one, and a postponed one, none of which counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Team
from courtside.services import track_record
from tests.helpers import both_dialects, make_game, make_odds, make_prediction, make_teams, utc

UTC = ZoneInfo("UTC")


async def _game(
    session: AsyncSession,
    home: Team,
    away: Team,
    at: datetime,
    season: int,
    p: float | None,
    home_won: bool,
    line: tuple[int, int] | None,
) -> None:
    scores = (105, 99) if home_won else (99, 105)
    game = await make_game(
        session, home, away, at, season=season, status="final",
        home_score=scores[0], away_score=scores[1],
    )  # fmt: skip
    if p is not None:
        older = await make_prediction(session, game, 0.05, version="v0")
        older.created_at = at - timedelta(days=3)  # an older run: the newest one counts
        newer = await make_prediction(session, game, p, version="v1")
        newer.created_at = at - timedelta(days=1)
    if line is not None:
        await make_odds(session, game, line[0], line[1], at - timedelta(hours=2))
        await make_odds(session, game, 500, -900, at + timedelta(hours=1))  # in play: ignored
    await session.flush()


async def _world(session: AsyncSession) -> None:
    t = await make_teams(session)
    bos, nyk, lal, den = t["BOS"], t["NYK"], t["LAL"], t["DEN"]
    await _game(session, bos, nyk, utc(2025, 11, 10), 2025, 0.70, True, (-150, 130))
    await _game(session, nyk, bos, utc(2025, 11, 20), 2025, 0.40, True, (120, -140))
    await _game(session, lal, den, utc(2026, 12, 5), 2026, 0.55, False, (-110, -110))
    await _game(session, den, lal, utc(2027, 1, 15), 2026, 0.20, False, None)
    await _game(session, bos, lal, utc(2027, 1, 20), 2026, 0.75, False, (-300, 250))
    await _game(session, nyk, den, utc(2027, 1, 21), 2026, None, True, (-110, -110))
    scheduled = await make_game(session, den, bos, utc(2030, 1, 1), season=2029)
    await make_prediction(session, scheduled, 0.9)
    postponed = await make_game(
        session, lal, nyk, utc(2027, 1, 22), season=2026, status="postponed"
    )
    await make_prediction(session, postponed, 0.6)


@both_dialects
async def test_overall_hit_rate_brier_and_log_loss_by_hand(session: AsyncSession) -> None:
    await _world(session)
    record = await track_record.model_track_record(session, zone=UTC)

    model, market = record.overall.model, record.overall.market
    assert model is not None and market is not None
    assert record.games == 5
    # hits: 1 (0.70, won) and 4 (0.20, lost); misses 2, 3, 5
    assert (model.games, model.hits) == (5, 2)
    # (.3² + .6² + .55² + .2² + .75²) / 5 = (.09 + .36 + .3025 + .04 + .5625) / 5 = 1.355 / 5
    assert model.brier == pytest.approx(0.271)
    # -(ln .7 + ln .4 + ln .45 + ln .8 + ln .25) / 5
    #   = (.356675 + .916291 + .798508 + .223144 + 1.386294) / 5 = 3.680912 / 5
    assert model.log_loss == pytest.approx(0.736182, abs=1e-6)
    # market: games 1, 2, 3, 5; hit only 1 (q = .5 picks no one; q5 = .724 and home lost)
    assert (market.games, market.hits) == (4, 1)
    # ((50/119)² + (77/137)² + .5² + (21/29)²) / 4 = (.176541 + .315893 + .25 + .524376) / 4
    assert market.brier == pytest.approx(0.316703, abs=1e-6)
    # (ln 119/69 + ln 137/60 + ln 2 + ln 29/8) / 4 = (.545017 + .825636 + .693147 + 1.287854) / 4
    assert market.log_loss == pytest.approx(0.837914, abs=1e-6)


@both_dialects
async def test_per_season_and_month_by_hand(session: AsyncSession) -> None:
    await _world(session)
    record = await track_record.model_track_record(session, zone=UTC)

    def summary(row: track_record.Row) -> tuple[object, ...]:
        model, market = row.model, row.market
        return (
            row.label,
            model.games if model else 0,
            model.hits if model else 0,
            round(model.brier, 6) if model else None,
            market.games if market else 0,
            market.hits if market else 0,
            round(market.brier, 6) if market else None,
        )

    assert [summary(row) for row in record.by_season] == [
        # games 1, 2: (.09 + .36) / 2; market (.176541 + .315893) / 2
        ("2025-26", 2, 1, 0.225, 2, 1, 0.246217),
        # games 3, 4, 5: (.3025 + .04 + .5625) / 3; market 3, 5: (.25 + .524376) / 2
        ("2026-27", 3, 1, 0.301667, 2, 0, 0.387188),
    ]
    assert [summary(row) for row in record.by_month] == [
        ("2025-11", 2, 1, 0.225, 2, 1, 0.246217),
        ("2026-12", 1, 0, 0.3025, 1, 0, 0.25),
        # games 4, 5: (.04 + .5625) / 2; market only 5: (21/29)² = .524376
        ("2027-01", 2, 1, 0.30125, 1, 0, 0.524376),
    ]


@both_dialects
async def test_calibration_bins_by_hand(session: AsyncSession) -> None:
    await _world(session)
    record = await track_record.model_track_record(session, zone=UTC)

    def filled(bins: list[track_record.Bin]) -> list[tuple[float, int, float, float]]:
        return [
            (b.low, b.games, round(b.mean_forecast or 0, 6), b.observed_rate or 0.0)
            for b in bins
            if b.games
        ]

    assert len(record.model_calibration) == 10
    assert filled(record.model_calibration) == [
        (0.2, 1, 0.2, 0.0),  # game 4
        (0.4, 1, 0.4, 1.0),  # game 2
        (0.5, 1, 0.55, 0.0),  # game 3
        (0.7, 2, 0.725, 0.5),  # games 1 (won) and 5 (lost): (.70 + .75) / 2
    ]
    assert filled(record.market_calibration) == [
        (0.4, 1, 0.437956, 1.0),  # game 2
        (0.5, 2, 0.539916, 0.5),  # games 1 and 3: (.579832 + .5) / 2; 1 won
        (0.7, 1, 0.724138, 0.0),  # game 5
    ]


def test_the_edges_of_the_deciles_and_of_the_log() -> None:
    bins = track_record.calibration([(0.0, False), (0.1, True), (0.3, True), (1.0, True)])
    assert [b.games for b in bins] == [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]
    sure = track_record.scores([(1.0, False)])
    assert sure is not None
    assert sure.log_loss == pytest.approx(34.538776, abs=1e-5)  # -ln(1e-15): clipped, finite
    assert track_record.scores([]) is None


async def test_no_finished_game_no_figures(session: AsyncSession) -> None:
    record = await track_record.model_track_record(session, zone=UTC)
    assert record.games == 0
    assert record.overall.model is None and record.overall.market is None
    assert record.by_season == [] and record.by_month == []
    assert all(b.games == 0 for b in record.model_calibration)


@both_dialects
async def test_the_public_json_is_cached_with_the_schedule(client, session: AsyncSession) -> None:
    await _world(session)
    await session.commit()

    response = await client.get("/v1/predictions/track-record", params={"junk": "1"})

    assert response.status_code == 200, response.text
    assert "public" in response.headers["cache-control"]
    assert response.headers["etag"]
    body = response.json()
    assert body["games"] == 5
    overall = body["overall"]
    assert (overall["model"]["games"], overall["model"]["hits"]) == (5, 2)
    assert overall["model"]["hit_rate"] == pytest.approx(0.4)
    assert overall["model"]["brier"] == pytest.approx(0.271)
    assert overall["market"]["log_loss"] == pytest.approx(0.837914, abs=1e-6)
    assert [row["label"] for row in body["by_season"]] == ["2025-26", "2026-27"]
    assert len(body["by_month"]) == 3
    assert [b["games"] for b in body["model_calibration"]] == [0, 0, 1, 0, 1, 1, 0, 2, 0, 0]
    again = await client.get(
        "/v1/predictions/track-record", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
