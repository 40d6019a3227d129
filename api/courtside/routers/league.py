"""The public read API under /v1: teams, players, games, odds, standings, predictions.

Every response is cached (see `http_cache`) and carries an ETag and Cache-Control. Each
route's cache key is made of its *validated* parameters only (`_key`): a query parameter a
route does not read is ignored, for the answer and for the cache alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from courtside.http_cache import REFERENCE, SCHEDULE, cached_json
from courtside.models.league import GameStatus
from courtside.schemas.common import Limit, Offset, Page, PageParams, Schema, error_responses
from courtside.schemas.league import (
    ConferenceStandings,
    GameDetail,
    GameOdds,
    GamePrediction,
    GameRead,
    PlayerDetail,
    PlayerRead,
    StandingRow,
    StandingsRead,
    TeamRead,
    TeamRef,
)
from courtside.services import league
from courtside.services.pagination import PageOf
from courtside.services.standings import compute_standings
from courtside.settings import get_app_settings, get_cache_settings

router = APIRouter(prefix="/v1", tags=["league"], responses=error_responses(422))

TeamAbbr = Annotated[str, Path(min_length=2, max_length=4, pattern=r"^[A-Za-z]+$")]
DateQuery = Annotated[
    date | None,
    Query(alias="date", description="Day in the league's time zone (default: today)."),
]
TeamQuery = Annotated[
    str | None, Query(min_length=2, max_length=4, pattern=r"^[A-Za-z]+$", description="Team abbr.")
]
GameId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PlayerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
GameStatusQuery = Annotated[GameStatus | None, Query(description="Game status.")]

Build = Callable[[AsyncConnection], Awaitable[BaseModel]]
S = TypeVar("S", bound=Schema)


def _key(route: str, **params: object) -> str:
    """`route` and its validated parameters (None left out), in a fixed order."""
    return route + "".join(f"|{k}={v}" for k, v in sorted(params.items()) if v is not None)


async def _reference_data(request: Request, key: str, build: Build) -> Response:
    """Teams, players, injuries: cached long, invalidated when the pipeline sends rosters."""
    ttl = get_cache_settings().cache_ttl_reference_seconds
    return await cached_json(request, namespace=REFERENCE, key=key, ttl_seconds=ttl, build=build)


async def _schedule_data(request: Request, key: str, build: Build) -> Response:
    """Games, odds, predictions, standings: cached briefly, invalidated by every result."""
    ttl = get_cache_settings().cache_ttl_seconds
    return await cached_json(request, namespace=SCHEDULE, key=key, ttl_seconds=ttl, build=build)


def _resolve_day(day: date | None) -> date:
    return day or league.league_today(get_app_settings().zone)


def _page(schema: type[S], result: PageOf[Any], page: PageParams) -> Page[S]:
    """The one place a service's page of rows becomes the public envelope."""
    return Page[schema].model_validate(  # type: ignore[valid-type]
        {"items": result.items, "total": result.total, "limit": page.limit, "offset": page.offset}
    )


@router.get("/teams", response_model=Page[TeamRead])
async def list_teams(request: Request, limit: Limit = 50, offset: Offset = 0) -> Response:
    """The 30 franchises, by abbreviation."""
    page = PageParams(limit, offset)

    async def build(connection: AsyncConnection) -> Page[TeamRead]:
        return _page(TeamRead, await league.list_teams(connection, page), page)

    return await _reference_data(request, _key("teams", limit=limit, offset=offset), build)


@router.get("/teams/{abbr}", response_model=TeamRead, responses=error_responses(404))
async def get_team(request: Request, abbr: TeamAbbr) -> Response:
    """One team by abbreviation (case-insensitive)."""

    async def build(connection: AsyncConnection) -> TeamRead:
        return TeamRead.model_validate(await league.get_team(connection, abbr))

    return await _reference_data(request, _key("team", abbr=abbr.upper()), build)


@router.get(
    "/teams/{abbr}/players", response_model=Page[PlayerRead], responses=error_responses(404)
)
async def list_team_players(
    request: Request, abbr: TeamAbbr, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """A team's roster, by name."""
    page = PageParams(limit, offset)

    async def build(connection: AsyncConnection) -> Page[PlayerRead]:
        return _page(PlayerRead, await league.list_players(connection, page, team=abbr), page)

    key = _key("roster", abbr=abbr.upper(), limit=limit, offset=offset)
    return await _reference_data(request, key, build)


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
    """Players, filtered by team, name and position."""
    page = PageParams(limit, offset)

    async def build(connection: AsyncConnection) -> Page[PlayerRead]:
        result = await league.list_players(connection, page, team=team, q=q, position=position)
        return _page(PlayerRead, result, page)

    key = _key(
        "players",
        limit=limit,
        offset=offset,
        team=team.upper() if team else None,
        q=q.lower() if q else None,
        position=position.upper() if position else None,
    )
    return await _reference_data(request, key, build)


@router.get("/players/{player_id}", response_model=PlayerDetail, responses=error_responses(404))
async def get_player(request: Request, player_id: PlayerId) -> Response:
    """One player with per-season stats and injury reports."""

    async def build(connection: AsyncConnection) -> PlayerDetail:
        return PlayerDetail.model_validate(await league.get_player(connection, player_id))

    return await _reference_data(request, _key("player", id=player_id), build)


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
    resolved = _resolve_day(day)

    async def build(connection: AsyncConnection) -> Page[GameRead]:
        result = await league.list_games(
            connection,
            page,
            day=resolved,
            zone=get_app_settings().zone,
            team=team,
            status=status.value if status else None,
        )
        return _page(GameRead, result, page)

    key = _key(
        "games",
        limit=limit,
        offset=offset,
        date=resolved.isoformat(),
        team=team.upper() if team else None,
        status=status.value if status else None,
    )
    return await _schedule_data(request, key, build)


@router.get("/games/{game_id}", response_model=GameDetail, responses=error_responses(404))
async def get_game(request: Request, game_id: GameId) -> Response:
    """One game with each bookmaker's latest moneyline and the latest prediction."""

    async def build(connection: AsyncConnection) -> GameDetail:
        return GameDetail.model_validate(await league.get_game(connection, game_id))

    return await _schedule_data(request, _key("game", id=game_id), build)


@router.get("/odds", response_model=Page[GameOdds])
async def list_odds(
    request: Request, limit: Limit = 50, offset: Offset = 0, day: DateQuery = None
) -> Response:
    """Each game of the day with every bookmaker's latest moneyline and implied probabilities."""
    page = PageParams(limit, offset)
    resolved = _resolve_day(day)

    async def build(connection: AsyncConnection) -> Page[GameOdds]:
        zone = get_app_settings().zone
        return _page(
            GameOdds, await league.list_odds(connection, page, day=resolved, zone=zone), page
        )

    key = _key("odds", limit=limit, offset=offset, date=resolved.isoformat())
    return await _schedule_data(request, key, build)


@router.get("/predictions", response_model=Page[GamePrediction])
async def list_predictions(
    request: Request, limit: Limit = 50, offset: Offset = 0, day: DateQuery = None
) -> Response:
    """The model's latest home-win probability for each game of the day that has one."""
    page = PageParams(limit, offset)
    resolved = _resolve_day(day)

    async def build(connection: AsyncConnection) -> Page[GamePrediction]:
        zone = get_app_settings().zone
        result = await league.list_predictions(connection, page, day=resolved, zone=zone)
        return _page(GamePrediction, result, page)

    key = _key("predictions", limit=limit, offset=offset, date=resolved.isoformat())
    return await _schedule_data(request, key, build)


@router.get("/standings", response_model=StandingsRead)
async def standings(
    request: Request,
    season: Annotated[
        int | None, Query(ge=1946, le=2100, description="Season start year (default: current).")
    ] = None,
) -> Response:
    """Per-conference standings from final games: W, L, win %, games behind, streak, last 10."""

    async def build(connection: AsyncConnection) -> StandingsRead:
        results = await league.season_results(connection, season)
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

    return await _schedule_data(request, _key("standings", season=season), build)
