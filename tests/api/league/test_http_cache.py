"""Caching of public GETs: ETag/304, Cache-Control, invalidation, Redis down."""

import asyncio

from courtside import cache as cache_module
from courtside.http_cache import REFERENCE, SCHEDULE
from courtside.models import Team
from tests.servers import free_port


async def test_public_get_has_etag_and_cdn_cache_control(client, world):
    response = await client.get("/v1/teams")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=30, s-maxage=60"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    again = await client.get("/v1/teams")
    assert again.headers["x-cache"] == "hit"
    assert again.headers["etag"] == etag
    assert again.content == response.content


async def test_if_none_match_gets_304_without_body(client, world):
    etag = (await client.get("/v1/teams")).headers["etag"]
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        response = await client.get("/v1/teams", headers={"if-none-match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
    stale = await client.get("/v1/teams", headers={"if-none-match": '"stale"'})
    assert stale.status_code == 200


async def test_cached_body_is_served_until_its_namespace_is_invalidated(
    client, session, world, cache
):
    first = (await client.get("/v1/teams/BOS")).json()
    team = await session.get(Team, world.teams["BOS"].id)
    team.name = "Green"
    await session.commit()
    assert (await client.get("/v1/teams/BOS")).json() == first
    await cache.invalidate(SCHEDULE)
    assert (await client.get("/v1/teams/BOS")).json() == first
    await cache.invalidate(REFERENCE)
    assert (await client.get("/v1/teams/BOS")).json()["name"] == "Green"


async def test_errors_are_not_cached(client, session, world):
    assert (await client.get("/v1/teams/ZZZ")).status_code == 404
    session.add(
        Team(abbreviation="ZZZ", city="Z", name="Zs", conference="East", division="Central")
    )
    await session.commit()
    assert (await client.get("/v1/teams/ZZZ")).status_code == 200


async def test_redis_unreachable_every_request_still_succeeds_quickly(client, world, caplog):
    """With Redis on a closed port, requests are served from the database, no 500, and only
    the first request pays the (short) connection failure: the circuit stays open."""
    from redis.asyncio import Redis

    class CountingBackend(cache_module.RedisBackend):
        attempts = 0

        async def get_many(self, keys):
            CountingBackend.attempts += 1
            return await super().get_many(keys)

    dead = Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.25, socket_connect_timeout=0.25
    )
    cache_module.use_cache(
        cache_module.Cache(CountingBackend(dead), prefix="dead", retry_after_seconds=60)
    )
    try:
        for _ in range(20):
            response = await client.get("/v1/teams")
            assert response.status_code == 200
            assert response.json()["total"] == 4
            assert response.headers["x-cache"] == "miss"
        # Only the first request tried Redis; the open circuit spared the other 19 a timeout.
        assert CountingBackend.attempts == 1
        assert "serving without cache" in caplog.text
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["cache"].startswith("error")
    finally:
        await dead.aclose()


def _returning(value: bytes):
    async def build() -> bytes:
        return value

    return build


async def test_memory_backend_expires_and_invalidates():
    backend = cache_module.MemoryBackend(max_entries=2)
    memory = cache_module.Cache(backend, prefix="t", retry_after_seconds=1)
    assert await memory.get_or_build("ns", "a", 60, _returning(b"1")) == (b"1", False)
    assert await memory.get_or_build("ns", "a", 60, _returning(b"2")) == (b"1", True)
    await memory.invalidate("ns")
    assert await memory.get_or_build("ns", "a", 60, _returning(b"2")) == (b"2", False)
    await backend.set("short", b"x", ttl_seconds=1)
    assert await backend.ttl("short") == 1
    await asyncio.sleep(1.05)
    assert await backend.get("short") is None
    for key in ("k1", "k2", "k3"):
        await backend.set(key, b"v", ttl_seconds=60)
    assert await backend.get("k1") is None  # evicted: least recently used beyond max_entries
    assert await backend.incr("counter", ttl_seconds=60) == 1
    assert await backend.incr("counter") == 2


async def test_an_invalidation_during_a_rebuild_is_never_lost(cache):
    """A request misses, reads the database, and meanwhile an admin commits a change and
    invalidates: the value that request read must not survive the invalidation."""

    async def stale_read_racing_an_invalidation() -> bytes:
        await cache.invalidate("flags")  # the admin's commit + invalidate lands mid-read
        return b"stale"

    assert await cache.get_or_build("flags", "all", 300, stale_read_racing_an_invalidation) == (
        b"stale",
        False,
    )
    assert await cache.get_or_build("flags", "all", 300, _returning(b"fresh")) == (
        b"fresh",
        False,
    )


async def test_an_invalidation_made_while_redis_was_down_is_applied_when_it_is_back(cache):
    """The entry was cached, Redis became unreachable exactly when a write invalidated it, and
    came back: the old entry must not be served again."""
    from redis.asyncio import Redis

    assert await cache.get_or_build("flags", "all", 300, _returning(b"old")) == (b"old", False)
    live = cache.backend
    dead = Redis.from_url(
        f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.25, socket_connect_timeout=0.25
    )
    try:
        cache.backend = cache_module.RedisBackend(dead)
        await cache.invalidate("flags")  # refused: Redis is down
    finally:
        await dead.aclose()
    cache.backend = live  # Redis is back
    cache._down_until = 0.0  # and the circuit has closed
    assert await cache.get_or_build("flags", "all", 300, _returning(b"new")) == (b"new", False)
