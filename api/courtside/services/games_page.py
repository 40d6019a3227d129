"""A day's games page (`GET /v1/games`), readable without SQLAlchemy, as `teams_page`.

Four variants (filtered by a team, a status, both, neither), each a named statement with its
count, so a cold public process can read any of them on a plain asyncpg connection
(`courtside.driver_reads`) from their SQL compiled ahead.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from courtside.prepared import Prepared, fetch
from courtside.schemas.common import PageParams
from courtside.services.league_calendar import local_day_bounds
from courtside.services.league_json import Row, game_at, page_json
from courtside.services.pagination import PageOf, from_last_column
from courtside.services.teams_page import require_team

if TYPE_CHECKING:
    from sqlalchemy import Select

    from courtside.prepared import ReadExecutor

Variant = tuple[bool, bool]
"""(filtered by a team, filtered by a status)."""


def _conditions(team: bool, status: bool) -> list[Any]:
    """The day (parameters `start`, `end`), a team (`team`), a status (`status`)."""
    # lazy: the statements are built on their first use through the engine, or compiled ahead
    from sqlalchemy import bindparam, or_

    from courtside.services.league_rows import away, games, home

    conditions = [games.c.start_time >= bindparam("start"), games.c.start_time < bindparam("end")]
    if team:
        abbreviation: Any = bindparam("team")
        conditions.append(
            or_(home.c.abbreviation == abbreviation, away.c.abbreviation == abbreviation)
        )
    if status:
        conditions.append(games.c.status == bindparam("status"))
    return conditions


def _page(team: bool, status: bool) -> Select[Any]:
    """The page, with both teams and the window total (`limit`, `offset`)."""
    # lazy: as `_conditions`
    from sqlalchemy import bindparam

    from courtside.services.league_rows import games, games_with_teams, join_teams
    from courtside.services.pagination import window_total

    query = join_teams(games_with_teams(window_total())).where(*_conditions(team, status))
    return (
        query.order_by(games.c.start_time, games.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _count(team: bool, status: bool) -> Select[Any]:
    """The total, for a page past the end."""
    # lazy: as `_conditions`
    from sqlalchemy import func, select

    from courtside.services.league_rows import games, join_teams

    matching = join_teams(select(games.c.id)).where(*_conditions(team, status)).subquery()
    return select(func.count()).select_from(matching)


def _name(kind: str, team: bool, status: bool) -> str:
    return f"games.{kind}" + (".team" if team else "") + (".status" if status else "")


VARIANTS: tuple[Variant, ...] = ((False, False), (True, False), (False, True), (True, True))
GAMES_PAGES = {v: Prepared(partial(_page, *v), name=_name("page", *v)) for v in VARIANTS}
GAMES_COUNTS = {v: Prepared(partial(_count, *v), name=_name("count", *v)) for v in VARIANTS}


async def games_rows(
    connection: ReadExecutor,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None,
    status: str | None,
) -> PageOf[Any]:
    """A day's page of game rows (read by position: `game_at`) and the total; 404 for an
    unknown team."""
    start, end = local_day_bounds(day, zone)
    variant = (team is not None, status is not None)
    filters: dict[str, Any] = {"start": start, "end": end, "status": status}
    filters["team"] = team.upper() if team is not None else None
    rows = await fetch(
        connection, GAMES_PAGES[variant], **filters, limit=page.limit, offset=page.offset
    )

    async def count() -> int:
        if team is not None:
            await require_team(connection, team)
        return int((await fetch(connection, GAMES_COUNTS[variant], **filters))[0][0])

    check = partial(require_team, connection, team) if team is not None else None
    rows, total = await from_last_column(rows, count, page.offset, check)
    return PageOf(items=rows, total=total)


async def list_games(
    connection: ReadExecutor,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None = None,
    status: str | None = None,
) -> PageOf[Row]:
    """The games of one day by tip-off, with both teams; 404 for an unknown team."""
    result = await games_rows(connection, page, day=day, zone=zone, team=team, status=status)
    return PageOf(items=[game_at(row) for row in result.items], total=result.total)


async def games_page_json(
    connection: ReadExecutor,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None = None,
    status: str | None = None,
) -> bytes:
    """`list_games` as the JSON of `Page[GameRead]`, written from the rows (`league_json`)."""
    result = await games_rows(connection, page, day=day, zone=zone, team=team, status=status)
    return page_json([game_at(row) for row in result.items], result.total, page)
