"""The line a game closed at: its market as it stood at tip-off.

Once a game has started, the pages show the last pre-game line (every bookmaker's newest
quote recorded at or before tip-off, and the best price per side, by the same rules as
`markets.markets`), so the price the bets were placed at stays visible during and after
the game, even if a pipeline keeps sending in-play quotes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnExpressionArgument,
    FromClause,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead, get_cache
from courtside.http_cache import MARKETS_NAMESPACE
from courtside.models import BetSide, Game, GameStatus, OddsSnapshot
from courtside.remembered import Remembered
from courtside.services.game_rows import GameRow
from courtside.services.markets import Market, Quote, best_price
from courtside.services.page_reads import read_columns
from courtside.settings import get_cache_settings


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """A quote as a page reads it (`shown_markets`, `closing_markets`): the columns of the
    snapshot, no ORM object (issue 23: building ~100 of them was most of a board's markets
    read)."""

    id: int
    game_id: int
    bookmaker: str
    home_odds: int
    away_odds: int
    recorded_at: datetime


def has_started(game: Game | GameRow, now: datetime) -> bool:
    """Not open any more: under way, finished or postponed, or past its tip-off."""
    return game.status != GameStatus.SCHEDULED.value or game.start_time <= now


def _market(quotes: Sequence[Quote], *, started: bool) -> Market:
    """Best prices as `betting.markets` (ties: the newer quote, then the bookmaker by name)
    or, after tip-off, by the bookmaker's name."""
    by_bookmaker = sorted(quotes, key=lambda quote: quote.bookmaker)
    ranked = by_bookmaker if started else _newest_first(by_bookmaker)
    return Market(
        quotes=tuple(by_bookmaker),
        home=best_price(ranked, BetSide.HOME),
        away=best_price(ranked, BetSide.AWAY),
    )


def _newest_first(quotes: list[Quote]) -> list[Quote]:
    return sorted(quotes, key=lambda quote: quote.recorded_at, reverse=True)  # stable


async def shown_markets(
    session: AsyncSession, games: Sequence[GameRow], now: datetime
) -> dict[int, Market]:
    """The market a page shows per game, in one statement: the current one before tip-off
    (`betting.markets`: every bookmaker's newest quote), the closing line after (newest at or
    before tip-off, as the closing line). Games without a quote to show are absent.

    The quotes are the same for every viewer of the same games (which of them are open is
    part of the key), so they are cached in `MARKETS_NAMESPACE`, which a write of odds or
    games invalidates (`ingest.NAMESPACES`): a board that the cache answers reads its markets
    without the statement (issue 23: 0.7 ms of a 5 ms board was this round trip). A namespace
    of its own: a crawler paging the board through every day and team fills it, not the
    public API's entry budget (`cache_max_entries_per_namespace`)."""
    if not games:
        return {}
    read = shown_markets_read(session, games, now)
    raw, _hit = await get_cache().get_or_build(*read)
    return markets_of(read, raw)


def shown_markets_read(session: AsyncSession, games: Sequence[GameRow], now: datetime) -> CacheRead:
    """`shown_markets`' cache read (`Cache.get_or_build`'s arguments) of `games` (not
    empty); `markets_of` its value."""
    started = {game.id for game in games if has_started(game, now)}
    ids = [game.id for game in games]
    open_ids = [game_id for game_id in ids if game_id not in started]

    async def build() -> bytes:
        rows = await read_columns(
            session,
            _shown_query(session.get_bind().dialect.name == "postgresql"),
            {"games": ids, "open": open_ids},
        )
        return quotes_json(rows)

    key = f"{','.join(map(str, sorted(ids)))}|{','.join(map(str, sorted(open_ids)))}"
    return MARKETS_NAMESPACE, key, get_cache_settings().cache_ttl_seconds, build


def markets_of(read: CacheRead, raw: bytes) -> dict[int, Market]:
    """The markets of `shown_markets_read`'s `read`, answered `raw`."""
    return _markets_of(read[1], raw)


MARKETS_KEPT = 64
"""Decoded cache entries a process remembers (`_markets_of`): a board's is ~30 markets."""

_decoded: Remembered[tuple[str, bytes], dict[int, Market]] = Remembered(MARKETS_KEPT)


def _markets_of(key: str, raw: bytes) -> dict[int, Market]:
    """The markets of the cache entry `raw` filed under `key` (`games|open games`, sorted
    ids), decoded once per process (issue 23: the JSON, each quote's time and each game's
    best prices were ~11 % of a warm board's CPU, the same for every viewer of the same
    games). The entry's bytes and its key (which of its games have started) are everything
    the markets are computed from, so a remembered decoding is served only for exactly that
    entry and cannot be stale: a new entry after an odds write is new bytes. The markets are
    immutable; each call gets a dict of its own."""
    remembered = (key, raw)
    markets = _decoded.get(remembered)
    if markets is not None:
        return dict(markets)
    games, _, still_open = key.partition("|")
    started = set(games.split(",")) - set(still_open.split(","))
    by_game = _grouped(quotes_from_json(raw))
    markets = {
        game_id: _market(quotes, started=str(game_id) in started)
        for game_id, quotes in by_game.items()
    }
    return dict(_decoded.keep(remembered, markets))


def quotes_json(rows: Iterable[Any]) -> bytes:
    """Quote rows (`QuoteRow`'s columns) as JSON, their times in ISO 8601 with the offset."""
    return json.dumps(
        [[row[0], row[1], row[2], row[3], row[4], row[5].isoformat()] for row in rows],
        separators=(",", ":"),
    ).encode()


def quotes_from_json(raw: bytes) -> list[tuple[Any, ...]]:
    return [
        (quote_id, game_id, book, home, away, datetime.fromisoformat(at))
        for quote_id, game_id, book, home, away, at in json.loads(raw)
    ]


def market_from_history(game: GameRow, history: Sequence[Quote], now: datetime) -> Market | None:
    """`shown_markets` for one game, from its odds history already read (the game page reads
    every snapshot for its chart; no second statement for the market)."""
    started = has_started(game, now)
    newest: dict[str, Quote] = {}
    for quote in history:
        if started and quote.recorded_at > game.start_time:
            continue
        kept = newest.get(quote.bookmaker)
        if kept is None or (quote.recorded_at, quote.id) > (kept.recorded_at, kept.id):
            newest[quote.bookmaker] = quote
    return _market(list(newest.values()), started=started) if newest else None


@cache
def _shown_query(postgresql: bool) -> Select[Any]:
    """`shown_markets`' statement, built once (issue 23: building it, the ranked subquery
    and its cache key per request cost more than the round trip); the games are the
    expanding parameter `games`, those still open `open`. On PostgreSQL each game's quotes
    are read in index order (`_newest_lateral`: 1.1 -> 0.4-0.6 ms in `EXPLAIN ANALYZE` for
    the demo's board of 27 games, ~1,200 quotes sorted by the window); elsewhere ranked by
    the window (SQLite has no `LATERAL`)."""
    if postgresql:
        return _per_game(
            or_(
                Game.id.in_(bindparam("open", expanding=True)),
                OddsSnapshot.recorded_at <= Game.start_time,
            )
        )
    return _rank_one(
        _ranked(
            bindparam("games", expanding=True),
            or_(
                OddsSnapshot.game_id.in_(bindparam("open", expanding=True)),
                OddsSnapshot.recorded_at <= Game.start_time,
            ),
        )
    )


def closing_ranked(game_ids: Any) -> Subquery:
    """The quotes recorded at or before their game's tip-off, of the games `game_ids` (ids or
    a select of them), ranked newest first per game and bookmaker: rank 1 is each
    bookmaker's closing quote."""
    return _ranked(game_ids, OddsSnapshot.recorded_at <= Game.start_time)


def _ranked(game_ids: Any, within: Any) -> Subquery:
    """The quotes of the games `game_ids` that meet `within` (their columns), ranked newest
    first per game and bookmaker (rank 1: each bookmaker's newest such quote)."""
    return (
        select(
            OddsSnapshot.id,
            OddsSnapshot.game_id,
            OddsSnapshot.bookmaker,
            OddsSnapshot.home_odds,
            OddsSnapshot.away_odds,
            OddsSnapshot.recorded_at,
            func.row_number()
            .over(
                partition_by=(OddsSnapshot.game_id, OddsSnapshot.bookmaker),
                order_by=(OddsSnapshot.recorded_at.desc(), OddsSnapshot.id.desc()),
            )
            .label("rank"),
        )
        .join(Game, Game.id == OddsSnapshot.game_id)
        .where(OddsSnapshot.game_id.in_(game_ids), within)
        .subquery()
    )


def closing_lateral(
    game_id: ColumnExpressionArgument[int],
    tip_off: ColumnExpressionArgument[datetime],
    *,
    when: ColumnExpressionArgument[bool],
) -> FromClause:
    """PostgreSQL only: each bookmaker's closing quote (its newest at or before `tip_off`) of
    the game `game_id`, both columns of the enclosing statement, and only where `when` holds;
    the same rows as rank 1 of `closing_ranked` (the unique constraint on `(game_id,
    bookmaker, recorded_at)` leaves no ties for the window's `id` to break).

    Issue 23: the window sorted every pre-game quote of the games (~1,800 rows for the demo's
    40 bets, 4.7 of the statement's 6.5 ms in `EXPLAIN ANALYZE`); this reads each game's
    quotes backwards along that constraint's index, already in `DISTINCT ON`'s order, so
    nothing is sorted (1.2 ms). Join it with `.outerjoin(lateral, true())`."""
    return _newest_lateral(game_id, and_(OddsSnapshot.recorded_at <= tip_off, when))


def _newest_lateral(
    game_id: ColumnExpressionArgument[int], within: ColumnExpressionArgument[bool]
) -> FromClause:
    """PostgreSQL only: each bookmaker's newest quote that meets `within` of the game
    `game_id` (a column of the enclosing statement), by bookmaker, read in the order of the
    unique index on `(game_id, bookmaker, recorded_at)` (backwards): `DISTINCT ON`, no sort."""
    # lazy: the PostgreSQL statements only; SQLite (make run) never builds them
    from sqlalchemy.dialects.postgresql import distinct_on

    snapshot = OddsSnapshot
    return (
        select(
            snapshot.id,
            snapshot.game_id,
            snapshot.bookmaker,
            snapshot.home_odds,
            snapshot.away_odds,
            snapshot.recorded_at,
        )
        .ext(distinct_on(snapshot.bookmaker))
        .where(snapshot.game_id == game_id, within)
        .order_by(snapshot.bookmaker.desc(), snapshot.recorded_at.desc())
        .lateral("newest")
    )


def closing_market(quotes: Sequence[Quote]) -> Market | None:
    """A game's closing line from its bookmakers' closing quotes (rank 1 of
    `closing_ranked`); None without any."""
    return _market(quotes, started=True) if quotes else None


async def closing_markets(session: AsyncSession, games: Sequence[Game]) -> dict[int, Market]:
    """Each game's market at its tip-off, whatever its status now (the analytics' and the
    track record's closing line). Games without a pre-game quote are absent."""
    if not games:
        return {}
    rows = await session.execute(
        _closing_query(session.get_bind().dialect.name == "postgresql"),
        {"games": [game.id for game in games]},
    )
    return {game_id: _market(quotes, started=True) for game_id, quotes in _grouped(rows).items()}


@cache
def _closing_query(postgresql: bool) -> Select[Any]:
    """`closing_markets`' statement, built once, the games the expanding parameter `games`:
    on PostgreSQL each game's quotes in index order (`_per_game`: the demo's track record, 353
    final games, 26-28 -> 11.7-11.9 ms in `EXPLAIN ANALYZE`: no sort of ~16,000 quotes),
    elsewhere rank 1 of `closing_ranked` (SQLite has no `LATERAL`)."""
    if postgresql:
        return _per_game(OddsSnapshot.recorded_at <= Game.start_time)
    return _rank_one(closing_ranked(bindparam("games", expanding=True)))


def _per_game(within: ColumnExpressionArgument[bool]) -> Select[Any]:
    """PostgreSQL: each bookmaker's newest quote that meets `within` of each of the games
    `games` (an expanding parameter), by game and bookmaker (`_newest_lateral`)."""
    newest = _newest_lateral(Game.id, within)
    c = newest.c
    return (
        select(c.id, c.game_id, c.bookmaker, c.home_odds, c.away_odds, c.recorded_at)
        .select_from(Game)
        .join(newest, true())
        .where(Game.id.in_(bindparam("games", expanding=True)))
        .order_by(c.game_id, c.bookmaker)
    )


def _rank_one(ranked: Subquery) -> Select[Any]:
    c = ranked.c
    return (
        select(c.id, c.game_id, c.bookmaker, c.home_odds, c.away_odds, c.recorded_at)
        .where(c.rank == 1)
        .order_by(c.game_id, c.bookmaker)
    )


def _grouped(rows: Iterable[Any]) -> dict[int, list[Quote]]:
    """Quote rows (`_rank_one`'s columns) by game."""
    by_game: dict[int, list[Quote]] = defaultdict(list)
    for row in rows:
        by_game[row[1]].append(QuoteRow(*row))
    return by_game
