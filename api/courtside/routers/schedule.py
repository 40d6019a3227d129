"""The public read API's schedule data: games, odds, predictions, standings (cached briefly).

Each route's `build` imports its services itself: it runs on a cache miss only, and a
process the cache answers never loads the database layer (`http_cache`, issue 23).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from courtside.league_statuses import GameStatus
from courtside.routers.public import (
    DateQuery,
    Id,
    TeamQuery,
    cache_key,
    public_page,
    resolve_day,
    schedule_data,
)
from courtside.routers.public_route import PublicRoute
from courtside.schemas.common import Limit, Offset, Page, PageParams, error_responses
from courtside.schemas.league import (
    ConferenceStandings,
    GameDetail,
    GameOdds,
    GamePrediction,
    GameRead,
    StandingRow,
    StandingsRead,
    TeamRef,
)
from courtside.settings import get_app_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from courtside.prepared import ReadExecutor

router = APIRouter(
    prefix="/v1", tags=["league"], responses=error_responses(422), route_class=PublicRoute
)

GameStatusQuery = Annotated[GameStatus | None, Query(description="Game status.")]


@router.get("/games", response_model=Page[GameRead], responses=error_responses(404))
async def list_games(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    day: DateQuery = None,
    team: TeamQuery = None,
    status: GameStatusQuery = None,
) -> Response:
    """The games of one day in the league's time zone (default: today), by tip-off."""
    page = PageParams(limit, offset)
    resolved = resolve_day(day)

    async def build(connection: ReadExecutor) -> bytes:
        from courtside.services import games_page  # lazy: on a miss (module docstring)

        return await games_page.games_page_json(
            connection,
            page,
            day=resolved,
            zone=get_app_settings().zone,
            team=team,
            status=status.value if status else None,
        )

    key = cache_key(
        "games",
        limit=limit,
        offset=offset,
        date=resolved.isoformat(),
        team=team.upper() if team else None,
        status=status.value if status else None,
    )
    return await schedule_data(request, key, build, driver=True)


@router.get("/games/{game_id}", response_model=GameDetail, responses=error_responses(404))
async def get_game(request: Request, game_id: Id) -> Response:
    """One game with each bookmaker's latest moneyline and the latest prediction."""

    async def build(connection: AsyncConnection) -> GameDetail:
        from courtside.services import league  # lazy: on a miss (module docstring)

        return GameDetail.model_validate(await league.get_game(connection, game_id))

    return await schedule_data(request, cache_key("game", id=game_id), build)


@router.get("/odds", response_model=Page[GameOdds])
async def list_odds(
    request: Request, limit: Limit = 50, offset: Offset = 0, day: DateQuery = None
) -> Response:
    """Each game of the day with every bookmaker's latest moneyline and implied probabilities."""
    page = PageParams(limit, offset)
    resolved = resolve_day(day)

    async def build(connection: AsyncConnection) -> Page[GameOdds]:
        from courtside.services import league  # lazy: on a miss (module docstring)

        zone = get_app_settings().zone
        return public_page(
            GameOdds, await league.list_odds(connection, page, day=resolved, zone=zone), page
        )

    key = cache_key("odds", limit=limit, offset=offset, date=resolved.isoformat())
    return await schedule_data(request, key, build)


@router.get("/predictions", response_model=Page[GamePrediction])
async def list_predictions(
    request: Request, limit: Limit = 50, offset: Offset = 0, day: DateQuery = None
) -> Response:
    """The model's latest home-win probability for each game of the day that has one."""
    page = PageParams(limit, offset)
    resolved = resolve_day(day)

    async def build(connection: AsyncConnection) -> Page[GamePrediction]:
        from courtside.services import league  # lazy: on a miss (module docstring)

        zone = get_app_settings().zone
        result = await league.list_predictions(connection, page, day=resolved, zone=zone)
        return public_page(GamePrediction, result, page)

    key = cache_key("predictions", limit=limit, offset=offset, date=resolved.isoformat())
    return await schedule_data(request, key, build)


@router.get("/standings", response_model=StandingsRead)
async def standings(
    request: Request,
    season: Annotated[
        int | None, Query(ge=1946, le=2100, description="Season start year (default: current).")
    ] = None,
) -> Response:
    """Per-conference standings from final games: W, L, win %, games behind, streak, last 10."""

    async def build(connection: AsyncConnection) -> StandingsRead:
        from courtside.services import seasons  # lazy: on a miss (module docstring)
        from courtside.services.standings import compute_standings  # lazy: as above

        results = await seasons.season_results(connection, season)
        if results.season is None:
            return StandingsRead(season=None, conferences=[])
        table = compute_standings(results)
        return StandingsRead(
            season=results.season,
            conferences=[
                ConferenceStandings(
                    conference=conference,
                    teams=[
                        StandingRow(
                            rank=row.rank,
                            team=TeamRef.model_validate(row.record.team),
                            wins=row.record.wins,
                            losses=row.record.losses,
                            win_pct=row.record.win_pct,
                            games_behind=row.games_behind,
                            streak=row.record.streak,
                            last_10=row.record.last_10,
                        )
                        for row in rows
                    ],
                )
                for conference, rows in table.items()
            ],
        )

    return await schedule_data(request, cache_key("standings", season=season), build)
