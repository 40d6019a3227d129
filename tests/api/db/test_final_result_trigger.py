"""The database itself refuses to change a final game's result (migration 0005's trigger)."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from courtside.models import Game, utcnow
from tests.helpers import both_dialects, make_game, make_teams


@both_dialects
@pytest.mark.parametrize(
    "change",
    [
        {"home_score": 99},
        {"away_score": 120},
        {"status": "scheduled", "home_score": None, "away_score": None},
        {"status": "postponed", "home_score": None, "away_score": None},
    ],
)
async def test_a_final_result_cannot_be_updated(session, change):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], utcnow() - timedelta(days=1))
    await session.execute(
        update(Game)
        .where(Game.id == game.id)
        .values(status="final", home_score=110, away_score=100)
    )
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(update(Game).where(Game.id == game.id).values(**change))


@both_dialects
async def test_a_final_game_keeps_its_other_columns_editable(session):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], utcnow() - timedelta(days=1))
    await session.execute(
        update(Game)
        .where(Game.id == game.id)
        .values(status="final", home_score=110, away_score=100)
    )
    later = utcnow()
    await session.execute(update(Game).where(Game.id == game.id).values(start_time=later))
