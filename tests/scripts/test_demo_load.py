"""Loading the demo season: through the ingestion service, idempotent, demo accounts local-only."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from courtside.models import Game, OddsSnapshot, Player, Team, User
from courtside.settings import reset_settings
from scripts.demo_data import generate_season, load_season

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


async def _counts(session):
    return {
        model.__name__: await session.scalar(select(func.count()).select_from(model))
        for model in (Team, Player, Game, OddsSnapshot, User)
    }


async def test_load_is_idempotent_and_creates_local_demo_accounts(session, cache):
    season = generate_season(seed=3, now=NOW)
    written = await load_season(season)
    assert written["teams"] == 30 and written["games"] == 1230
    first = await _counts(session)
    assert first == {
        "Team": 30,
        "Player": 450,
        "Game": 1230,
        "OddsSnapshot": len(season.odds),
        "User": 2,
    }
    again = await load_season(season)
    assert all(count == 0 for count in again.values())
    assert await _counts(session) == first
    users = {u.username: u.role for u in (await session.scalars(select(User))).all()}
    assert users == {"demo-admin": "Admin", "demo-user": "Consumer"}


async def test_if_empty_skips_a_loaded_database(session, cache):
    season = generate_season(seed=3, now=NOW)
    await load_season(season)
    assert await load_season(season, if_empty=True) == {}


async def test_no_demo_accounts_outside_local(session, cache, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "dev")
    reset_settings()
    try:
        season = generate_season(seed=3, now=NOW)
        season.players = season.players[:5]
        season.injuries = []
        await load_season(season)
        assert await session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        monkeypatch.setenv("ENVIRONMENT", "local")
        reset_settings()
