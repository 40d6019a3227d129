"""The game page's odds history read as plain rows gives the same page pieces as the ORM's
snapshots (tests/api/betting/test_odds_history_rows.py) over every fourth game of the demo
season (loaded once: conftest.py): final, live and upcoming games."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.betting.test_odds_history_rows import _compare, _games


async def test_rows_and_objects_agree_over_the_demo_season(
    session: AsyncSession, cache: object
) -> None:
    """PostgreSQL, the demo season: every game's history (final, live, upcoming)."""
    games = await _games(session)
    assert len({game.status for game in games}) >= 2
    assert await _compare(session, games[::4]) > 1_000
