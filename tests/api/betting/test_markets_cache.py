"""The markets a page shows (`closing_line.shown_markets`) come from the cache once read: the
same for every viewer of the same games, filed in a namespace of their own, which every write
of odds or games invalidates (`ingest.NAMESPACES`); which games are still open is part of the
key, so a game that tips off is read afresh (its closing line, not its last quote)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from courtside.cache import get_cache
from courtside.http_cache import MARKETS_NAMESPACE
from courtside.models import utcnow
from courtside.schemas.ingest import Dataset
from courtside.services import board, closing_line
from courtside.services.closing_line import shown_markets
from courtside.services.ingest import NAMESPACES
from courtside.services.page_reads import read_columns
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects, make_odds


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "SAVEPOINT" not in statement.upper():
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _shown(markets: dict[int, Any]) -> dict[int, Any]:
    return {
        game: ([(q.id, q.bookmaker, q.home_odds, q.recorded_at) for q in m.quotes], m.home, m.away)
        for game, m in markets.items()
    }


@both_dialects
async def test_markets_read_once_then_from_the_cache_until_the_schedule_changes(
    session: AsyncSession, engine: AsyncEngine, cache: object
) -> None:
    now = utcnow()
    made = await make_slate(session, games=3, starts_in=timedelta(hours=2), now=now)
    games = (await board.games_between(session, now, now + timedelta(days=1), limit=10)).games
    with counting(engine) as first:
        read = await shown_markets(session, games, now)
    with counting(engine) as second:
        again = await shown_markets(session, games, now)
    assert len(first) == 1 and second == []
    assert _shown(again) == _shown(read) and len(read) == 3
    ids = [game.id for game in games]  # the cached quotes are the statement's rows
    rows = await read_columns(
        session,
        closing_line._shown_query(session.get_bind().dialect.name == "postgresql"),
        {"games": ids, "open": ids},
    )
    direct = {
        game_id: closing_line._market(quotes, started=False)
        for game_id, quotes in closing_line._grouped(rows).items()
    }
    assert _shown(direct) == _shown(read)

    game = made.games[0]
    await make_odds(session, game, -300, 250, now - timedelta(minutes=5))  # a newer line
    assert _shown(await shown_markets(session, games, now)) == _shown(read)  # still cached
    for dataset in (Dataset.ODDS, Dataset.GAMES):  # a line; a tip-off time (the cut-off)
        assert MARKETS_NAMESPACE in NAMESPACES[dataset]
    await get_cache().invalidate(MARKETS_NAMESPACE)
    fresh = await shown_markets(session, games, now)
    assert [q.home_odds for q in fresh[game.id].quotes] == [-300]
    assert _shown(fresh) != _shown(read)


@both_dialects
async def test_a_game_that_tips_off_is_read_afresh_for_its_closing_line(
    session: AsyncSession, cache: object
) -> None:
    now = utcnow()
    made = await make_slate(session, games=1, starts_in=timedelta(hours=2), now=now)
    game = made.games[0]
    tip_off = game.start_time
    await make_odds(session, game, -400, 300, tip_off + timedelta(minutes=10))  # in-play
    games = (await board.games_between(session, now, now + timedelta(days=1), limit=10)).games
    before = await shown_markets(session, games, tip_off - timedelta(minutes=1))
    after = await shown_markets(session, games, tip_off + timedelta(minutes=20))
    assert [q.home_odds for q in before[game.id].quotes] == [-400]  # open: the newest
    assert [q.home_odds for q in after[game.id].quotes] == [-150]  # started: the closing line


async def test_an_entry_is_decoded_once_and_each_caller_gets_a_dict_of_its_own(
    session: AsyncSession, cache: object
) -> None:
    """The markets of a cache entry are decoded once per process (`_markets_of`, keyed by
    the entry's key and bytes: a new entry is new bytes, see the test above)."""
    closing_line._decoded.clear()
    now = utcnow()
    await make_slate(session, games=2, starts_in=timedelta(hours=2), now=now)
    games = (await board.games_between(session, now, now + timedelta(days=1), limit=10)).games
    first = await shown_markets(session, games, now)
    second = await shown_markets(session, games, now)
    assert len(first) == 2 and second == first and second is not first
    assert all(second[game] is first[game] for game in first)  # decoded once
    second.clear()
    assert await shown_markets(session, games, now) == first
    for n in range(closing_line.MARKETS_KEPT + 1):
        closing_line._markets_of(f"{n}|", b"[]")
    assert len(closing_line._decoded) == closing_line.MARKETS_KEPT
    assert all(key[0] != "0|" for key in closing_line._decoded)  # the oldest dropped


def test_which_games_have_started_comes_from_the_entrys_key() -> None:
    """A tie on the best price goes to the newer quote while a game is open, to the bookmaker
    first by name once it has started (`_market`): the key's open games decide which."""
    closing_line._decoded.clear()
    at = utcnow()
    raw = closing_line.quotes_json(
        [(1, 7, "alpha", -110, 120, at - timedelta(minutes=5)), (2, 7, "beta", -110, 120, at)]
    )
    open_market = closing_line._markets_of("7|7", raw)[7]
    started_market = closing_line._markets_of("7|", raw)[7]
    assert open_market.home is not None and open_market.home.bookmaker == "beta"
    assert started_market.home is not None and started_market.home.bookmaker == "alpha"
