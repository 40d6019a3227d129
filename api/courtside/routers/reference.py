"""The public read API's reference data: teams, rosters, players (cached long).

Each route's `build` imports the league service itself: it runs on a cache miss only, and
a process the cache answers never loads the database layer (`http_cache`, issue 23).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from courtside.routers.public import (
    Id,
    TeamAbbr,
    TeamQuery,
    cache_key,
    public_page,
    reference_data,
    search_data,
)
from courtside.routers.public_route import PublicRoute
from courtside.schemas.common import Limit, Offset, Page, PageParams, error_responses
from courtside.schemas.league import PlayerDetail, PlayerRead, TeamRead

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from courtside.prepared import ReadExecutor

router = APIRouter(
    prefix="/v1", tags=["league"], responses=error_responses(422), route_class=PublicRoute
)


@router.get("/teams", response_model=Page[TeamRead])
async def list_teams(request: Request, limit: Limit = 50, offset: Offset = 0) -> Response:
    """The 30 franchises, by abbreviation."""
    page = PageParams(limit, offset)

    async def build(connection: ReadExecutor) -> bytes:
        from courtside.services import teams_page  # lazy: on a miss (module docstring)

        return await teams_page.teams_page_json(connection, page)

    key = cache_key("teams", limit=limit, offset=offset)
    return await reference_data(request, key, build, driver=True)


@router.get("/teams/{abbr}", response_model=TeamRead, responses=error_responses(404))
async def get_team(request: Request, abbr: TeamAbbr) -> Response:
    """One team by abbreviation (case-insensitive)."""

    async def build(connection: AsyncConnection) -> TeamRead:
        from courtside.services import league  # lazy: on a miss (module docstring)

        return TeamRead.model_validate(await league.get_team(connection, abbr))

    return await reference_data(request, cache_key("team", abbr=abbr.upper()), build)


@router.get(
    "/teams/{abbr}/players", response_model=Page[PlayerRead], responses=error_responses(404)
)
async def list_team_players(
    request: Request, abbr: TeamAbbr, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """A team's roster, by name."""
    page = PageParams(limit, offset)

    async def build(connection: AsyncConnection) -> Page[PlayerRead]:
        from courtside.services import league  # lazy: on a miss (module docstring)

        return public_page(PlayerRead, await league.list_players(connection, page, team=abbr), page)

    key = cache_key("roster", abbr=abbr.upper(), limit=limit, offset=offset)
    return await reference_data(request, key, build)


@router.get("/players", response_model=Page[PlayerRead], responses=error_responses(404))
async def list_players(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    team: TeamQuery = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64, description="Name search.")] = None,
    position: Annotated[
        str | None, Query(pattern=r"^(?i:G|F|C|G-F|F-G|F-C|C-F)$", description="Position.")
    ] = None,
) -> Response:
    """Players, filtered by team, name and position. The name search ignores case and
    extra spaces (` LeBron   JAMES ` is `lebron james`)."""
    page = PageParams(limit, offset)
    name = " ".join(q.split()).lower() if q else None

    async def build(connection: AsyncConnection) -> Page[PlayerRead]:
        from courtside.services import league  # lazy: on a miss (module docstring)

        result = await league.list_players(connection, page, team=team, q=name, position=position)
        return public_page(PlayerRead, result, page)

    key = cache_key(
        "players",
        limit=limit,
        offset=offset,
        team=team.upper() if team else None,
        q=name or None,
        position=position.upper() if position else None,
    )
    if name:  # every name is a new key: cached briefly (and within the namespace's cap)
        return await search_data(request, key, build)
    return await reference_data(request, key, build)


@router.get("/players/{player_id}", response_model=PlayerDetail, responses=error_responses(404))
async def get_player(request: Request, player_id: Id) -> Response:
    """One player with per-season stats and injury reports."""

    async def build(connection: AsyncConnection) -> PlayerDetail:
        from courtside.services import league  # lazy: on a miss (module docstring)

        return PlayerDetail.model_validate(await league.get_player(connection, player_id))

    return await reference_data(request, cache_key("player", id=player_id), build)
