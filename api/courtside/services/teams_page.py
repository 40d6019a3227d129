"""The teams page (`GET /v1/teams`), readable without SQLAlchemy.

Its statements are named `Prepared` statements built on first use, so this module imports
no SQLAlchemy: a cold public process whose first miss is this page reads it on a plain
asyncpg connection (`courtside.driver_reads`) from their SQL compiled ahead
(`courtside.compiled_statements`), and through the engine as before everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from courtside.domain_errors import NotFound
from courtside.prepared import Prepared, fetch
from courtside.schemas.common import PageParams
from courtside.services.league_json import Row, page_json, team_row
from courtside.services.pagination import PageOf, from_last_column

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from courtside.prepared import ReadExecutor


def _page() -> Select[Any]:
    # lazy: the statement is built on its first use through the engine, or compiled ahead
    from sqlalchemy import bindparam, select

    from courtside.services.league_rows import TEAM_COLUMNS
    from courtside.services.pagination import window_total

    return (
        select(*TEAM_COLUMNS, window_total())
        .order_by(TEAM_COLUMNS[1])  # the abbreviation
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _count() -> Select[Any]:
    # lazy: as `_page`
    from sqlalchemy import func, select

    from courtside.services.league_rows import teams

    return select(func.count()).select_from(teams)


def _exists() -> Select[Any]:
    # lazy: as `_page`
    from sqlalchemy import bindparam, exists, select

    from courtside.services.league_rows import teams

    return select(exists().where(teams.c.abbreviation == bindparam("abbreviation")))


TEAMS_PAGE = Prepared(_page, name="teams.page")
TEAMS_COUNT = Prepared(_count, name="teams.count")
"""Only past the end of the teams (an empty page at an offset): the total."""
TEAM_EXISTS = Prepared(_exists, name="teams.exists")


async def require_team(connection: ReadExecutor | AsyncSession, abbreviation: str) -> None:
    """The 404 of an unknown team (any case), for the pages filtered by one."""
    rows = await fetch(connection, TEAM_EXISTS, abbreviation=abbreviation.upper())
    if not rows[0][0]:
        raise NotFound("team", abbreviation)


async def teams_rows(connection: ReadExecutor, page: PageParams) -> PageOf[Any]:
    rows = await fetch(connection, TEAMS_PAGE, limit=page.limit, offset=page.offset)

    async def count() -> int:
        return int((await fetch(connection, TEAMS_COUNT))[0][0])

    rows, total = await from_last_column(rows, count, page.offset)
    return PageOf(items=rows, total=total)


async def list_teams(connection: ReadExecutor, page: PageParams) -> PageOf[Row]:
    result = await teams_rows(connection, page)
    return PageOf(items=[team_row(row) for row in result.items], total=result.total)


async def teams_page_json(connection: ReadExecutor, page: PageParams) -> bytes:
    """`list_teams` as the JSON of `Page[TeamRead]`, written from the rows (`league_json`)."""
    result = await teams_rows(connection, page)
    return page_json([team_row(row) for row in result.items], result.total, page)
