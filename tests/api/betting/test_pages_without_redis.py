"""The signed-in pages when Redis cannot be reached (issue 23: the board's teams, flags and
markets, the game page's flags and odds history, the record's teams, bet rows and resets are
all cache reads now, one `MGET` a page): each page is built from the database instead, the
same page as with Redis up, and the cache's circuit opens (the next requests do not wait on
Redis)."""

from __future__ import annotations

import socket

import httpx
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import cache as cache_module
from courtside.cache import Cache, RedisBackend
from courtside.models import OddsSnapshot, User
from tests.api.betting.factories import HTML, sign_in, without_tokens
from tests.api.betting.test_analytics import _history


async def test_each_signed_in_page_is_the_same_page_when_redis_is_unreachable(
    client: httpx.AsyncClient, session: AsyncSession, cache: Cache
) -> None:
    user_id = await _history(session)  # settled and open bets, closing quotes
    quoted = await session.scalar(select(OddsSnapshot.game_id).order_by(OddsSnapshot.id).limit(1))
    await session.commit()
    user = await session.get(User, user_id)
    assert user is not None
    sign_in(client, user)
    urls = ["/", f"/games/{quoted}", "/record", "/?team=ZZZ", "/?team=BOS"]
    with_redis = {}
    for url in urls:
        await client.get(url, headers=HTML)  # fills the cache
        page = await client.get(url, headers=HTML)
        assert page.status_code == 200, (url, page.text)
        with_redis[url] = without_tokens(page.text)

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = Cache(
        RedisBackend(Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)),
        prefix=cache.prefix,
        retry_after_seconds=30,
    )
    cache_module.use_cache(unreachable)
    try:
        for url in urls:
            for _ in range(2):  # the first opens the circuit, the second finds it open
                page = await client.get(url, headers=HTML)
                assert page.status_code == 200, (url, page.text)
                assert without_tokens(page.text) == with_redis[url], url
        for _ in range(2):  # an id that is no game's: the page's 404, not a 500
            assert (await client.get("/games/2000000", headers=HTML)).status_code == 404
        assert not unreachable.available
    finally:
        cache_module.use_cache(cache)
        await unreachable.close()
