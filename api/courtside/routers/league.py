"""The public read API under /v1: teams, players, games, odds, standings, predictions.

Every response is cached (see `http_cache`) and carries an ETag and Cache-Control.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from courtside.http_cache import REFERENCE, SCHEDULE, cached_json
from courtside.models import GameStatus
from courtside.schemas.common import Page, PageDep, PageParams, Schema, error_responses
from courtside.schemas.league import (
    ConferenceStandings,
    GameDetail,
    GameOdds,
    GamePrediction,
    GameRead,
    InjuryRead,
    MoneylineRead,
    PlayerDetail,
    PlayerRead,
    PlayerSeasonStatsRead,
    PredictionRead,
    StandingRow,
    StandingsRead,
    TeamRead,
    TeamRef,
)
from courtside.services import league
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


def _key(request: Request, *extra: str) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    return "|".join((request.url.path, query, *extra))


async def _reference_data(
    request: Request, build: Callable[[AsyncSession], Awaitable[BaseModel]], *key: str
) -> Response:
    """Teams, players, injuries: cached long, invalidated when the pipeline sends rosters."""
    ttl = get_cache_settings().cache_ttl_reference_seconds
    return await cached_json(
        request, namespace=REFERENCE, key=_key(request, *key), ttl_seconds=ttl, build=build
    )


async def _schedule_data(
    request: Request, build: Callable[[AsyncSession], Awaitable[BaseModel]], *key: str
) -> Response:
    """Games, odds, predictions, standings: cached briefly, invalidated by every result."""
    ttl = get_cache_settings().cache_ttl_seconds
    return await cached_json(
        request, namespace=SCHEDULE, key=_key(request, *key), ttl_seconds=ttl, build=build
    )


def _resolve_day(day: date | None) -> date:
    return day or league.league_today(get_app_settings().zone)


S = TypeVar("S", bound=Schema)


def _page(schema: type[S], items: Sequence[object], total: int, page: PageParams) -> Page[S]:
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(item) for item in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/teams", response_model=Page[TeamRead])
async def list_teams(request: Request, page: PageDep) -> Response:
    """The 30 franchises, by abbreviation."""

    async def build(session: AsyncSession) -> Page[TeamRead]:
        result = await league.list_teams(session, page)
        return _page(TeamRead, result.items, result.total, page)

    return await _reference_data(request, build)


@router.get("/teams/{abbr}", response_model=TeamRead, responses=error_responses(404))
async def get_team(request: Request, abbr: TeamAbbr) -> Response:
    """One team by abbreviation (case-insensitive)."""

    async def build(session: AsyncSession) -> TeamRead:
        return TeamRead.model_validate(await league.get_team(session, abbr))

    return await _reference_data(request, build, abbr.upper())


@router.get(
    "/teams/{abbr}/players", response_model=Page[PlayerRead], responses=error_responses(404)
)
async def list_team_players(request: Request, page: PageDep, abbr: TeamAbbr) -> Response:
    """A team's roster, by name."""

    async def build(session: AsyncSession) -> Page[PlayerRead]:
        result = await league.list_players(session, page, team=abbr)
        return _page(PlayerRead, result.items, result.total, page)

    return await _reference_data(request, build, abbr.upper())


@router.get("/players", response_model=Page[PlayerRead], responses=error_responses(404))
async def list_players(
    request: Request,
    page: PageDep,
    team: TeamQuery = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64, description="Name search.")] = None,
    position: Annotated[
        str | None, Query(pattern=r"^(?i:G|F|C|G-F|F-G|F-C|C-F)$", description="Position.")
    ] = None,
) -> Response:
    """Players, filtered by team, name and position."""

    async def build(session: AsyncSession) -> Page[PlayerRead]:
        result = await league.list_players(session, page, team=team, q=q, position=position)
        return _page(PlayerRead, result.items, result.total, page)

    return await _reference_data(request, build)


@router.get("/players/{player_id}", response_model=PlayerDetail, responses=error_responses(404))
async def get_player(
    request: Request, player_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """One player with per-season stats and injury reports."""

    async def build(session: AsyncSession) -> PlayerDetail:
        player, injuries = await league.get_player(session, player_id)
        base = PlayerRead.model_validate(player).model_dump()
        abbreviation = player.team.abbreviation if player.team else None
        stats = [
            PlayerSeasonStatsRead.model_validate(
                {**_columns(row), "team_abbreviation": abbreviation}
            )
            for row in player.season_stats
        ]
        return PlayerDetail(
            **base,
            season_stats=stats,
            injuries=[InjuryRead.model_validate(injury) for injury in injuries],
        )

    return await _reference_data(request, build)


def _columns(row: object) -> dict[str, object]:
    table = row.__table__  # type: ignore[attr-defined]
    return {column.key: getattr(row, column.key) for column in table.columns}


GameStatusQuery = Annotated[GameStatus | None, Query(description="Game status.")]


@router.get("/games", response_model=Page[GameRead], responses=error_responses(404))
async def list_games(
    request: Request,
    page: PageDep,
    day: DateQuery = None,
    team: TeamQuery = None,
    status: GameStatusQuery = None,
) -> Response:
    """The games of one day in the league's time zone (default: today), by tip-off."""
    resolved = _resolve_day(day)

    async def build(session: AsyncSession) -> Page[GameRead]:
        result = await league.list_games(
            session,
            page,
            day=resolved,
            zone=get_app_settings().zone,
            team=team,
            status=status.value if status else None,
        )
        return _page(GameRead, result.items, result.total, page)

    return await _schedule_data(request, build, resolved.isoformat())


GameId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/games/{game_id}", response_model=GameDetail, responses=error_responses(404))
async def get_game(request: Request, game_id: GameId) -> Response:
    """One game with each bookmaker's latest moneyline and the latest prediction."""

    async def build(session: AsyncSession) -> GameDetail:
        game = await league.get_game(session, game_id)
        odds = (await league.latest_odds(session, [game.id]))[game.id]
        prediction = (await league.latest_predictions(session, [game.id])).get(game.id)
        return GameDetail(
            **GameRead.model_validate(game).model_dump(),
            latest_odds=[MoneylineRead.model_validate(row) for row in odds],
            prediction=PredictionRead.model_validate(prediction) if prediction else None,
        )

    return await _schedule_data(request, build)


@router.get("/odds", response_model=Page[GameOdds])
async def list_odds(request: Request, page: PageDep, day: DateQuery = None) -> Response:
    """Each game of the day with every bookmaker's latest moneyline and implied probabilities."""
    resolved = _resolve_day(day)

    async def build(session: AsyncSession) -> Page[GameOdds]:
        games = await league.list_games(session, page, day=resolved, zone=get_app_settings().zone)
        odds = await league.latest_odds(session, [game.id for game in games.items])
        items = [
            GameOdds(
                game=GameRead.model_validate(game),
                odds=[MoneylineRead.model_validate(row) for row in odds[game.id]],
            )
            for game in games.items
        ]
        return Page[GameOdds](items=items, total=games.total, limit=page.limit, offset=page.offset)

    return await _schedule_data(request, build, resolved.isoformat())


@router.get("/predictions", response_model=Page[GamePrediction])
async def list_predictions(request: Request, page: PageDep, day: DateQuery = None) -> Response:
    """The model's latest home-win probability for each game of the day that has one."""
    resolved = _resolve_day(day)

    async def build(session: AsyncSession) -> Page[GamePrediction]:
        games, predictions = await league.list_predictions(
            session, page, day=resolved, zone=get_app_settings().zone
        )
        items = [
            GamePrediction(
                game=GameRead.model_validate(game),
                prediction=PredictionRead.model_validate(predictions[game.id]),
            )
            for game in games.items
        ]
        return Page[GamePrediction](
            items=items, total=games.total, limit=page.limit, offset=page.offset
        )

    return await _schedule_data(request, build, resolved.isoformat())


@router.get("/standings", response_model=StandingsRead)
async def standings(
    request: Request,
    season: Annotated[
        int | None, Query(ge=1946, le=2100, description="Season start year (default: current).")
    ] = None,
) -> Response:
    """Per-conference standings from final games: W, L, win %, games behind, streak, last 10."""

    async def build(session: AsyncSession) -> StandingsRead:
        resolved = season or await league.current_season(session)
        if resolved is None:
            return StandingsRead(season=None, conferences=[])
        table = await compute_standings(session, resolved)
        return StandingsRead(
            season=resolved,
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

    return await _schedule_data(request, build)
