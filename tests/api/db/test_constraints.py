"""The database itself refuses rows that break the league's invariants, on both dialects."""

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from courtside.models import Game, OddsSnapshot, Prediction, Team
from tests.helpers import both_dialects, make_game, make_teams, utc


async def _flush(session, row: Any) -> None:
    async with session.begin_nested():
        session.add(row)
        await session.flush()


async def _refused(session, row: Any) -> None:
    with pytest.raises(IntegrityError):
        await _flush(session, row)


@both_dialects
async def test_team_invariants(session):
    await make_teams(session)
    duplicate = Team(abbreviation="BOS", city="B", name="B", conference="East", division="Atlantic")
    await _refused(session, duplicate)
    bad_conference = Team(
        abbreviation="XYZ", city="X", name="X", conference="North", division="Atlantic"
    )
    await _refused(session, bad_conference)


@both_dialects
async def test_game_invariants(session):
    teams = await make_teams(session)
    bos, nyk = teams["BOS"], teams["NYK"]
    start = utc(2026, 12, 1, 0, 30)
    game = await make_game(session, bos, nyk, start, external_id="g-unique")

    def game_row(external_id: str, **changes: Any) -> Game:
        values: dict[str, Any] = {
            "external_id": external_id,
            "season": 2026,
            "start_time": start,
            "home_team_id": bos.id,
            "away_team_id": nyk.id,
            "status": "scheduled",
        }
        return Game(**{**values, **changes})

    await _refused(session, game_row("g-unique", home_team_id=nyk.id, away_team_id=bos.id))
    await _refused(session, game_row("g-self", away_team_id=bos.id))
    await _refused(session, game_row("g-status", status="done"))
    await _refused(session, game_row("g-final", status="final"))
    await _refused(session, game_row("g-tie", status="final", home_score=100, away_score=100))
    await _refused(session, game_row("g-neg", status="live", home_score=-1, away_score=0))
    assert game.id is not None


@both_dialects
@pytest.mark.parametrize(("home", "away"), [(0, 120), (-99, 120), (99, -120), (-150, 50)])
async def test_odds_are_never_zero_or_inside_minus_100_to_100(session, home, away):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], utc(2026, 12, 1))
    at = utc(2026, 11, 30)
    await _refused(
        session,
        OddsSnapshot(
            game_id=game.id, bookmaker="b", home_odds=home, away_odds=away, recorded_at=at
        ),
    )
    even = OddsSnapshot(
        game_id=game.id, bookmaker="b", home_odds=-100, away_odds=100, recorded_at=at
    )
    session.add(even)
    await session.flush()
    await _refused(
        session,
        OddsSnapshot(
            game_id=game.id, bookmaker="b", home_odds=-110, away_odds=-110, recorded_at=at
        ),
    )


@both_dialects
@pytest.mark.parametrize("probability", [-0.01, 1.01])
async def test_probabilities_stay_in_zero_one(session, probability):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], utc(2026, 12, 1))
    await _refused(
        session, Prediction(game_id=game.id, model_version="m", home_win_probability=probability)
    )
    for edge in (0.0, 1.0):
        session.add(
            Prediction(game_id=game.id, model_version=f"m{edge}", home_win_probability=edge)
        )
    await session.flush()
    await _refused(
        session, Prediction(game_id=game.id, model_version="m0.0", home_win_probability=0.5)
    )


@both_dialects
async def test_naive_datetimes_never_reach_a_utc_column(session):
    teams = await make_teams(session)
    from datetime import datetime

    with pytest.raises(Exception, match="naive datetime"):
        await make_game(session, teams["BOS"], teams["NYK"], datetime(2026, 12, 1))


@both_dialects
async def test_a_utc_column_reads_back_utc_aware_whatever_the_sessions_zone(session):
    """On asyncpg the column has no result processor (`UTCDateTime.result_processor`): the
    driver's value must already be UTC-aware, also when the server's session speaks another
    zone; on SQLite the naive value read back is made UTC."""
    from datetime import UTC, timedelta

    from sqlalchemy import select, text

    teams = await make_teams(session)
    tip_off = utc(2026, 12, 1, 0, 30)
    game = await make_game(session, teams["BOS"], teams["NYK"], tip_off)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
    session.expunge_all()
    read = await session.scalar(select(Game.start_time).where(Game.id == game.id))
    assert read == tip_off and read.tzinfo is UTC and read.utcoffset() == timedelta(0)
    loaded = await session.get(Game, game.id)
    assert loaded is not None and loaded.start_time.tzinfo is UTC
