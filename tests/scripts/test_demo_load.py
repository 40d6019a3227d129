"""Loading the demo season: through the ingestion service, idempotent, demo accounts local-only."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from courtside.models import Game, OddsSnapshot, Player, Team, User
from courtside.settings import reset_settings
from scripts.demo_data import DemoSeason, generate_season, load_season

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
    """A database with teams is a loaded one, so its teams alone are loaded first (the whole
    season's 18,000 rows proved no more): the whole season, loaded if empty, writes nothing."""
    season = generate_season(seed=3, now=NOW)
    await load_season(DemoSeason(season=season.season, teams=season.teams))
    assert await load_season(season, if_empty=True) == {}
    assert await session.scalar(select(func.count()).select_from(Game)) == 0


async def test_no_demo_accounts_outside_local(session, cache, monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "dev")
    reset_settings()
    try:
        full = generate_season(seed=3, now=NOW)
        # A season's teams and a few players: the accounts never depend on its games or odds.
        season = DemoSeason(season=full.season, teams=full.teams, players=full.players[:5])
        assert await load_season(season) == {"teams": 30, "players": 5}
        assert await session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        monkeypatch.setenv("ENVIRONMENT", "local")
        reset_settings()
