"""Reads for the web pages that are not the public API's: the board's games, the game
page's odds history, a team's schedule and roster, the teams for a filter.

A page's games come in one statement each: the two teams joined (not a `selectinload` each,
two more round trips) and the newest prediction's home win probability as a correlated
subquery (not a third look-up); for a signed-in viewer, their bet on each game comes
outer-joined too (issue 23: it was a statement of its own): the live bet if any, else the
latest refunded one (a postponed game's refund does not stop a new bet when the game is
rescheduled).

The board and the game page read these games from the cache (`services.page_slates`, issue
23): these statements build its entries on a miss."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from courtside.cache import CacheRead
from courtside.domain_errors import NotFound
from courtside.http_cache import ODDS_HISTORY
from courtside.models import (
    Bet,
    BetStatus,
    Game,
    Injury,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Prediction,
    Team,
)
from courtside.models.betting import shown_status
from courtside.prepared import Prepared
from courtside.services import game_rows
from courtside.services.closing_line import (
    QuoteRow,
    quotes_from_json,
    quotes_json,
)
from courtside.services.game_rows import GameRow, game_row
from courtside.services.page_reads import read_columns, read_prepared
from courtside.settings import get_cache_settings


@dataclass(frozen=True, slots=True)
class ViewerBet:
    """The viewer's bet on a game of a slate, as the cards read it (`Bet`'s names)."""

    id: int
    user_id: int
    game_id: int
    side: str
    stake_cents: int
    odds: int
    bookmaker: str
    status: str
    profit_cents: int | None
    cancelled_at: datetime | None

    @property
    def display_status(self) -> str:
        return shown_status(self.status, self.cancelled_at)


VIEWER_BET_COLUMNS = tuple(getattr(Bet, name) for name in ViewerBet.__slots__)
"""What a viewer's slate selects of their bet, in `ViewerBet`'s order."""


@dataclass(frozen=True)
class Slate:
    """Games with their teams, as rows (`game_rows.GameRow`), and each one's newest home win
    probability (games without a prediction are absent)."""

    games: list[GameRow]
    predictions: dict[int, float]
    bets: dict[int, ViewerBet] | None = None
    """The viewer's bet per game (`_viewer_bet`), when read for a viewer."""


def _newest_probability() -> Any:
    """The newest prediction's home win probability (newest run wins: `created_at`, then
    `id`, as the public API's `league_rows.newest_predictions`)."""
    return (
        select(Prediction.home_win_probability)
        .where(Prediction.game_id == Game.id)
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _viewer_bet() -> Any:
    """The id of the viewer's bet (`:viewer`) on the game of the enclosing row: the live one
    if any, else the latest refunded one."""
    mine = aliased(Bet)
    return (
        select(mine.id)
        .where(mine.user_id == bindparam("viewer"), mine.game_id == Game.id)
        .order_by(mine.status == BetStatus.REFUNDED.value, mine.placed_at.desc(), mine.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _slate_query(viewing: bool) -> Select[Any]:
    """The games with their teams as columns (`game_rows`), the newest prediction, and for a
    viewer (the `viewer` parameter) their bet's columns (`ViewerBet`)."""
    query: Select[Any] = (
        select(*game_rows.COLUMNS, _newest_probability())
        .select_from(Game)
        .join(game_rows.HOME, game_rows.HOME.id == Game.home_team_id)
        .join(game_rows.AWAY, game_rows.AWAY.id == Game.away_team_id)
    )
    if viewing:
        query = query.add_columns(*VIEWER_BET_COLUMNS).outerjoin(Bet, Bet.id == _viewer_bet())
    return query


def _between(viewing: bool, one_team: bool) -> Select[Any]:
    """Games starting in `[:start, :end)`, of the team abbreviated `:team` if `one_team`, in
    tip-off order, at most `:limit`."""
    query = (
        _slate_query(viewing)
        .where(Game.start_time >= bindparam("start"), Game.start_time < bindparam("end"))
        .order_by(Game.start_time, Game.id)
        .limit(bindparam("limit"))
    )
    if one_team:
        team: Any = bindparam("team")
        query = query.where(
            or_(game_rows.HOME.abbreviation == team, game_rows.AWAY.abbreviation == team)
        )
    return query


SLATES = {
    (viewing, one_team): Prepared(partial(_between, viewing, one_team))
    for viewing in (False, True)
    for one_team in (False, True)
}
"""`games_between`'s statements by (viewer, team filter): built and compiled once each, the
values as parameters (issue 23: a statement built per request cost its cache key, and the
viewer's bet as an ORM entity its loading, ~15 % of a board's CPU)."""


def _one_game(viewing: bool) -> Select[Any]:
    return _slate_query(viewing).where(Game.id == bindparam("game"))


GAME_SLATES = {viewing: Prepared(partial(_one_game, viewing)) for viewing in (False, True)}
"""`game_slate`'s statements, with and without a viewer."""


async def read_slate(
    session: AsyncSession, statement: Prepared, params: dict[str, Any], user_id: int | None
) -> Slate:
    games: list[GameRow] = []
    predictions: dict[int, float] = {}
    bets: dict[int, ViewerBet] = {}
    if user_id is not None:
        params["viewer"] = user_id
    width = game_rows.WIDTH
    for row in await read_prepared(session, statement, params):
        game = game_row(row)
        games.append(game)
        probability = row[width]
        if probability is not None:
            predictions[game.id] = float(probability)
        if user_id is not None and row[width + 1] is not None:
            bets[game.id] = ViewerBet(*row[width + 1 :])
    return Slate(games, predictions, bets if user_id is not None else None)


async def games_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    team: str | None = None,
    user_id: int | None = None,
) -> Slate:
    """Games starting in `[start, end)` (of the team abbreviated `team`, if given), in
    tip-off order; with `user_id`, that user's bet on each. The team goes by its
    abbreviation (a code that is no team's: no game)."""
    params: dict[str, Any] = {"start": start, "end": end, "limit": limit}
    if team is not None:
        params["team"] = team
    statement = SLATES[user_id is not None, team is not None]
    return await read_slate(session, statement, params, user_id)


async def game_slate(session: AsyncSession, game_id: int, user_id: int | None = None) -> Slate:
    """One game (404 if unknown) as a slate of one: its teams and newest prediction (and
    with `user_id`, that user's bet on it), read by its statement: what `game_page_reads`
    caches, and what the tests compare the cached game with."""
    slate = await read_slate(session, GAME_SLATES[user_id is not None], {"game": game_id}, user_id)
    if not slate.games:
        raise NotFound("game", game_id)
    return slate


async def teams(session: AsyncSession) -> list[Team]:
    """Every team, by abbreviation."""
    return list(await session.scalars(select(Team).order_by(Team.abbreviation)))


async def team_by_abbreviation(session: AsyncSession, abbreviation: str) -> Team:
    team = await session.scalar(select(Team).where(Team.abbreviation == abbreviation.upper()))
    if team is None:
        raise NotFound("team", abbreviation)
    return team


async def game(session: AsyncSession, game_id: int) -> Game:
    found = await session.scalar(
        select(Game)
        .where(Game.id == game_id)
        .options(
            joinedload(Game.home_team, innerjoin=True), joinedload(Game.away_team, innerjoin=True)
        )
    )
    if found is None:
        raise NotFound("game", game_id)
    return found


@cache
def _history_query() -> Select[int, int, str, int, int, datetime]:
    """`odds_history`'s statement, built once; the game is the `game` parameter."""
    s = OddsSnapshot
    return (
        select(s.id, s.game_id, s.bookmaker, s.home_odds, s.away_odds, s.recorded_at)
        .where(s.game_id == bindparam("game"))
        .order_by(s.recorded_at, s.bookmaker)
    )


def odds_history_read(session: AsyncSession, game_id: int) -> CacheRead:
    """Every snapshot of a game's moneyline, oldest first, as a cache read
    (`Cache.get_or_build`'s arguments; `history_of` its value, plain rows: issue 23, ~50
    `OddsSnapshot` objects a page were built and tracked by the session for its chart, market
    and statistics), in `ODDS_HISTORY`, which a write of odds invalidates
    (`ingest.NAMESPACES`): the game page reads it with the flags in one Redis round trip
    instead of a statement (issue 23, `game_page_reads`)."""

    async def build() -> bytes:
        return quotes_json(await read_columns(session, _history_query(), {"game": game_id}))

    return ODDS_HISTORY, str(game_id), get_cache_settings().cache_ttl_seconds, build


def history_of(raw: bytes) -> list[QuoteRow]:
    return [QuoteRow(*row) for row in quotes_from_json(raw)]


async def team_games(session: AsyncSession, team_id: int, season: int | None) -> list[Game]:
    """A team's games of a season (all seasons when None), in tip-off order."""
    query = (
        select(Game)
        .where(or_(Game.home_team_id == team_id, Game.away_team_id == team_id))
        .options(selectinload(Game.home_team), selectinload(Game.away_team))
        .order_by(Game.start_time, Game.id)
    )
    if season is not None:
        query = query.where(Game.season == season)
    return list(await session.scalars(query))


async def roster(session: AsyncSession, team_id: int) -> list[Player]:
    """The team's active players, by last name."""
    return list(
        await session.scalars(
            select(Player)
            .where(Player.team_id == team_id, Player.active.is_(True))
            .order_by(Player.last_name, Player.first_name)
        )
    )


async def player(session: AsyncSession, player_id: int) -> Player:
    found = await session.get(Player, player_id)
    if found is None:
        raise NotFound("player", player_id)
    return found


async def player_stats(session: AsyncSession, player_id: int) -> list[PlayerSeasonStats]:
    return list(
        await session.scalars(
            select(PlayerSeasonStats)
            .where(PlayerSeasonStats.player_id == player_id)
            .order_by(PlayerSeasonStats.season.desc())
        )
    )


async def player_injuries(session: AsyncSession, player_id: int) -> list[Injury]:
    return list(
        await session.scalars(
            select(Injury).where(Injury.player_id == player_id).order_by(Injury.reported_on.desc())
        )
    )
