"""`Cache.get_or_build_each`: several namespaces' entries read in one round trip (issue 23).

On the real Redis: the hits of several namespaces are one `MGET`; a miss beside them is
built and stored as `get_or_build` stores it (each reads what the other stored); an
invalidated namespace is never served its old entry; a Redis that cannot be reached builds
every read and opens the circuit. On the app, a signed-in board reads the teams and the
flags together: two cache reads in all (with its markets), no statement for either.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import cache as cache_module
from courtside.cache import Cache, CacheRead, MemoryBackend, RedisBackend
from courtside.models import User
from courtside.web.pages import RECORD_PAGE_SIZE
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, make_slate, sign_in
from tests.api.betting.test_analytics import _history


def _builds(log: list[bytes], value: bytes) -> Callable[[], Awaitable[bytes]]:
    async def build() -> bytes:
        log.append(value)
        return value

    return build


def _counted(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> list[Sequence[str]]:
    """Every `get_many` the cache sends to its (real) backend, by its keys."""
    calls: list[Sequence[str]] = []
    original = cache.backend.get_many

    async def get_many(keys: Sequence[str]) -> list[bytes | None]:
        calls.append(list(keys))
        return await original(keys)

    monkeypatch.setattr(cache.backend, "get_many", get_many)
    return calls


async def test_hits_of_several_namespaces_are_one_round_trip(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[bytes] = []
    reads: list[CacheRead] = [
        ("alpha", "k", 60, _builds(built, b"A")),
        ("beta", "k", 60, _builds(built, b"B")),
        ("gamma", "other", 60, _builds(built, b"C")),
    ]
    assert await cache.get_or_build_each(reads) == [(b"A", False), (b"B", False), (b"C", False)]
    assert built == [b"A", b"B", b"C"]
    calls = _counted(cache, monkeypatch)
    assert await cache.get_or_build_each(reads) == [(b"A", True), (b"B", True), (b"C", True)]
    assert built == [b"A", b"B", b"C"]  # nothing built again
    assert len(calls) == 1 and len(calls[0]) == 6  # each namespace's version and entry


async def test_each_read_is_what_get_or_build_reads_and_stores(cache: Cache) -> None:
    built: list[bytes] = []
    await cache.get_or_build("alpha", "k", 60, _builds(built, b"A"))
    answers = await cache.get_or_build_each(
        [("alpha", "k", 60, _builds(built, b"A2")), ("beta", "k", 60, _builds(built, b"B"))]
    )
    assert answers == [(b"A", True), (b"B", False)] and built == [b"A", b"B"]
    assert await cache.get_or_build("beta", "k", 60, _builds(built, b"B2")) == (b"B", True)


async def test_an_invalidated_namespace_is_never_served_its_old_entry(cache: Cache) -> None:
    built: list[bytes] = []
    reads: list[CacheRead] = [
        ("alpha", "k", 60, _builds(built, b"A")),
        ("beta", "k", 60, _builds(built, b"B")),
    ]
    await cache.get_or_build_each(reads)
    await cache.invalidate("beta")
    fresh: list[CacheRead] = [reads[0], ("beta", "k", 60, _builds(built, b"B-new"))]
    assert await cache.get_or_build_each(fresh) == [(b"A", True), (b"B-new", False)]
    assert await cache.get_or_build_each(fresh) == [(b"A", True), (b"B-new", True)]


async def test_a_zero_ttl_read_is_built_every_time_beside_cached_ones(cache: Cache) -> None:
    built: list[bytes] = []
    reads: list[CacheRead] = [
        ("alpha", "k", 60, _builds(built, b"A")),
        ("beta", "k", 0, _builds(built, b"B")),
    ]
    await cache.get_or_build_each(reads)
    assert await cache.get_or_build_each(reads) == [(b"A", True), (b"B", False)]
    assert built == [b"A", b"B", b"B"]


async def test_an_unreachable_redis_builds_every_read_and_opens_the_circuit() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    cache = Cache(RedisBackend(client), prefix="unreachable", retry_after_seconds=30)
    built: list[bytes] = []
    reads: list[CacheRead] = [
        ("alpha", "k", 60, _builds(built, b"A")),
        ("beta", "k", 60, _builds(built, b"B")),
    ]
    try:
        assert await cache.get_or_build_each(reads) == [(b"A", False), (b"B", False)]
        assert not cache.available
        assert await cache.get_or_build_each(reads) == [(b"A", False), (b"B", False)]
        assert built == [b"A", b"B", b"A", b"B"]
    finally:
        await cache.close()


async def test_the_in_process_store_answers_the_same() -> None:
    cache = Cache(MemoryBackend(), prefix="local", retry_after_seconds=5)
    built: list[bytes] = []
    reads: list[CacheRead] = [
        ("alpha", "k", 60, _builds(built, b"A")),
        ("beta", "k", 60, _builds(built, b"B")),
    ]
    assert await cache.get_or_build_each(reads) == [(b"A", False), (b"B", False)]
    assert await cache.get_or_build_each(reads) == [(b"A", True), (b"B", True)]


async def test_a_signed_in_board_reads_its_games_teams_and_flags_together_then_markets(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cache: Cache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await make_slate(session, games=3, starts_in=timedelta(hours=3))
    user = await make_user(session)
    await session.commit()
    sign_in(client, user)
    first = await client.get("/", headers=HTML)  # fills what the board caches
    assert first.status_code == 200
    assert cache_module.get_cache() is cache
    calls = _counted(cache, monkeypatch)
    board = await client.get("/", headers=HTML)
    assert board.status_code == 200 and board.text == first.text.replace(
        _token(first.text), _token(board.text)
    )
    # The games, the viewer's bets on them, the teams and the flags together; then the
    # markets of the games shown (their key names the games).
    assert len(calls) == 2, calls
    together = " ".join(calls[0])
    names = ("board-slates", "records", "reference", "flags")
    assert all(f"{{{name}}}" in together for name in names), calls[0]
    assert len(calls[0]) == 8  # each namespace's version and entry
    assert f":board-bets:{user.id}:" in together
    assert len(calls[1]) == 2 and all("{markets}" in key for key in calls[1]), calls[1]


async def test_a_signed_in_game_page_reads_its_game_bet_flags_and_odds_history_together(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cache: Cache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slate = await make_slate(session, games=1, starts_in=timedelta(hours=3))
    user = await make_user(session)
    await session.commit()
    sign_in(client, user)
    url = f"/games/{slate.games[0].id}"
    first = await client.get(url, headers=HTML)  # fills what the game page caches
    assert first.status_code == 200 and 'data-testid="odds-stats"' in first.text
    calls = _counted(cache, monkeypatch)
    page = await client.get(url, headers=HTML)
    assert page.status_code == 200 and page.text == first.text.replace(
        _token(first.text), _token(page.text)
    )
    assert len(calls) == 1, calls
    together = " ".join(calls[0])
    names = ("board-slates", "flags", "odds-history", "records")
    assert all(f"{{{name}}}" in together for name in names) and len(calls[0]) == 8, calls[0]
    assert f":game-bets:{user.id}:{slate.games[0].id}" in together


async def test_a_signed_in_record_reads_its_teams_rows_resets_and_bets_together(
    client: httpx.AsyncClient,
    session: AsyncSession,
    cache: Cache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_id = await _history(session)
    await session.commit()
    user = await session.get(User, user_id)
    assert user is not None
    sign_in(client, user)
    first = await client.get("/record", headers=HTML)  # fills what the record caches
    assert first.status_code == 200 and 'data-testid="record-analytics"' in first.text
    calls = _counted(cache, monkeypatch)
    page = await client.get("/record", headers=HTML)
    assert page.status_code == 200 and page.text == first.text.replace(
        _token(first.text), _token(page.text)
    )
    assert len(calls) == 1, calls
    keys = calls[0]
    assert len(keys) == 8 and sum("{records}" in key for key in keys) == 6, keys
    assert any(key.endswith(f"rows:{user_id}") for key in keys)
    assert any(key.endswith(f"resets:{user_id}") for key in keys)
    assert any(key.endswith(f"lines:{user_id}:{RECORD_PAGE_SIZE}") for key in keys)


def _token(page: str) -> str:
    from tests.api.betting.factories import csrf_from

    return csrf_from(page)
