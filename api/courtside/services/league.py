"""Read-side queries of the league data. Functions take the session explicitly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from courtside.errors import NotFound
from courtside.models import Game, Injury, OddsSnapshot, Player, Prediction, Team
from courtside.schemas.common import PageParams

T = TypeVar("T")


@dataclass(frozen=True)
class PageOf(Generic[T]):
    items: Sequence[T]
    total: int


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in the league's time zone."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def league_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


async def _page(session: AsyncSession, query: Select[Any], page: PageParams) -> PageOf[Any]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.scalars(query.limit(page.limit).offset(page.offset))).all()
    return PageOf(items=rows, total=int(total or 0))


async def list_teams(session: AsyncSession, page: PageParams) -> PageOf[Any]:
    query = select(Team).order_by(Team.abbreviation)
    return await _page(session, query, page)


async def get_team(session: AsyncSession, abbreviation: str) -> Team:
    team = await session.scalar(select(Team).where(Team.abbreviation == abbreviation.upper()))
    if team is None:
        raise NotFound("team", abbreviation)
    return team


def _players_query() -> Select[Player]:
    return (
        select(Player)
        .options(selectinload(Player.team))
        .order_by(Player.last_name, Player.first_name, Player.id)
    )


async def list_players(
    session: AsyncSession,
    page: PageParams,
    *,
    team: str | None = None,
    q: str | None = None,
    position: str | None = None,
) -> PageOf[Any]:
    query = _players_query()
    if team is not None:
        team_row = await get_team(session, team)
        query = query.where(Player.team_id == team_row.id)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        full_name = func.lower(Player.first_name + " " + Player.last_name)
        query = query.where(full_name.like(pattern, escape="\\"))
    if position is not None:
        query = query.where(Player.position == position.upper())
    return await _page(session, query, page)


async def get_player(session: AsyncSession, player_id: int) -> tuple[Player, list[Injury]]:
    player = await session.scalar(
        select(Player)
        .where(Player.id == player_id)
        .options(selectinload(Player.team), selectinload(Player.season_stats))
    )
    if player is None:
        raise NotFound("player", player_id)
    injuries = (
        await session.scalars(
            select(Injury).where(Injury.player_id == player_id).order_by(Injury.reported_on.desc())
        )
    ).all()
    return player, list(injuries)


def _games_query() -> Select[Game]:
    return select(Game).options(selectinload(Game.home_team), selectinload(Game.away_team))


async def list_games(
    session: AsyncSession,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None = None,
    status: str | None = None,
) -> PageOf[Any]:
    start, end = local_day_bounds(day, zone)
    query = (
        _games_query()
        .where(Game.start_time >= start, Game.start_time < end)
        .order_by(Game.start_time, Game.id)
    )
    if team is not None:
        team_row = await get_team(session, team)
        query = query.where(or_(Game.home_team_id == team_row.id, Game.away_team_id == team_row.id))
    if status is not None:
        query = query.where(Game.status == status)
    return await _page(session, query, page)


async def get_game(session: AsyncSession, game_id: int) -> Game:
    game = await session.scalar(_games_query().where(Game.id == game_id))
    if game is None:
        raise NotFound("game", game_id)
    return game


async def latest_odds(
    session: AsyncSession, game_ids: Sequence[int]
) -> dict[int, list[OddsSnapshot]]:
    """The newest snapshot of each bookmaker for each game, bookmakers in name order."""
    if not game_ids:
        return {}
    newest = (
        select(
            OddsSnapshot.game_id,
            OddsSnapshot.bookmaker,
            func.max(OddsSnapshot.recorded_at).label("recorded_at"),
        )
        .where(OddsSnapshot.game_id.in_(game_ids))
        .group_by(OddsSnapshot.game_id, OddsSnapshot.bookmaker)
        .subquery()
    )
    rows = await session.scalars(
        select(OddsSnapshot)
        .join(
            newest,
            (OddsSnapshot.game_id == newest.c.game_id)
            & (OddsSnapshot.bookmaker == newest.c.bookmaker)
            & (OddsSnapshot.recorded_at == newest.c.recorded_at),
        )
        .order_by(OddsSnapshot.game_id, OddsSnapshot.bookmaker)
    )
    result: dict[int, list[OddsSnapshot]] = {game_id: [] for game_id in game_ids}
    for row in rows:
        result[row.game_id].append(row)
    return result


async def latest_predictions(
    session: AsyncSession, game_ids: Sequence[int]
) -> dict[int, Prediction]:
    """The most recent prediction of each game (newest model run wins)."""
    if not game_ids:
        return {}
    rows = await session.scalars(
        select(Prediction)
        .where(Prediction.game_id.in_(game_ids))
        .order_by(Prediction.game_id, Prediction.created_at, Prediction.id)
    )
    return {row.game_id: row for row in rows}


async def list_predictions(
    session: AsyncSession, page: PageParams, *, day: date, zone: ZoneInfo
) -> tuple[PageOf[Any], dict[int, Prediction]]:
    start, end = local_day_bounds(day, zone)
    has_prediction = select(Prediction.game_id).where(Prediction.game_id == Game.id).exists()
    query = (
        _games_query()
        .where(Game.start_time >= start, Game.start_time < end, has_prediction)
        .order_by(Game.start_time, Game.id)
    )
    games = await _page(session, query, page)
    predictions = await latest_predictions(session, [game.id for game in games.items])
    return games, predictions


async def current_season(session: AsyncSession) -> int | None:
    """The season of the most recent game that has started (or the first one scheduled)."""
    now = datetime.now(UTC)
    season = await session.scalar(
        select(Game.season).where(Game.start_time <= now).order_by(Game.start_time.desc()).limit(1)
    )
    if season is None:
        season = await session.scalar(select(func.min(Game.season)))
    return season
