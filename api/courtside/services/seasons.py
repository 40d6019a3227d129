"""Seasons: which one is current, and a season's teams and final games (what standings are
computed from); the newest prediction of each game, for the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from courtside.prepared import Prepared, fetch
from courtside.services.league_json import team_row
from courtside.services.league_rows import TEAM_COLUMNS, Row, games, teams

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class SeasonResults:
    """A season's teams and its final games (oldest first), for `standings.compute_standings`."""

    season: int | None
    teams: list[Row]
    finals: list[tuple[int, int, int, int]]
    """(home team id, away team id, home score, away score) of each final game."""


def _season_expression(requested: int | None, now: Any) -> Any:
    """The requested season, or the season of the latest game that has started, or the first
    season scheduled."""
    started = (
        select(games.c.season)
        .where(games.c.start_time <= now)
        .order_by(games.c.start_time.desc())
        .limit(1)
        .scalar_subquery()
    )
    if requested is not None:
        return literal(requested, Integer)
    return func.coalesce(started, select(func.min(games.c.season)).scalar_subquery())


Executor = AsyncConnection | AsyncSession
"""A read connection (the public API) or a session (pages, inside their unit of work)."""


async def current_season(executor: Executor, *, now: datetime | None = None) -> int | None:
    """The season of the most recent game that has started (or the first one scheduled)."""
    season = await executor.scalar(select(_season_expression(None, now or datetime.now(UTC))))
    return None if season is None else int(season)


def _season_teams(requested: bool) -> Prepared:
    """Every team with the resolved season (parameters `season`, or `now`)."""

    def build() -> Select[Any]:
        if requested:
            resolved = bindparam("season", type_=Integer)
        else:
            resolved = _season_expression(None, bindparam("now", type_=games.c.start_time.type))
        return select(*TEAM_COLUMNS, resolved.label("season")).order_by(teams.c.abbreviation)

    return Prepared(build)


SEASON_TEAMS = {requested: _season_teams(requested) for requested in (False, True)}
SEASON_FINALS = Prepared(
    lambda: (
        select(games.c.home_team_id, games.c.away_team_id, games.c.home_score, games.c.away_score)
        .where(games.c.season == bindparam("season", type_=Integer), games.c.status == "final")
        .order_by(games.c.start_time, games.c.id)
    )
)


async def season_results(
    connection: Executor, season: int | None, *, now: datetime | None = None
) -> SeasonResults:
    """Every team with the resolved season (one statement), then that season's finals."""
    rows = await fetch(
        connection, SEASON_TEAMS[season is not None], season=season, now=now or datetime.now(UTC)
    )
    if not rows:  # no teams yet
        return SeasonResults(season=season, teams=[], finals=[])
    resolved_season = rows[0][-1]
    if resolved_season is None:
        return SeasonResults(season=None, teams=[], finals=[])
    finals = await fetch(connection, SEASON_FINALS, season=resolved_season)
    return SeasonResults(
        season=int(resolved_season),
        teams=[team_row(row) for row in rows],
        finals=[(h, a, hs or 0, aws or 0) for h, a, hs, aws in finals],
    )
