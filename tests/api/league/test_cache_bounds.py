"""A client cycling through valid parameters cannot fill the cache: searches are normalised
and short-lived, and every namespace stores at most `CACHE_MAX_ENTRIES_PER_NAMESPACE`
entries per TTL window (then answers are served uncached, still correct)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from courtside import cache as cache_module
from courtside.http_cache import REFERENCE, SCHEDULE
from courtside.settings import reset_settings

CAP = 20


@pytest.fixture
async def capped(cache: cache_module.Cache) -> AsyncIterator[cache_module.Cache]:
    """The test's cache (same Redis, same prefix) with a small cap."""
    small = cache_module.Cache(
        cache.backend, prefix=cache.prefix, retry_after_seconds=5, max_entries_per_namespace=CAP
    )
    cache_module.use_cache(small)
    yield small
    cache_module.use_cache(cache)


async def _entries(redis_client, cache: cache_module.Cache, namespace: str) -> list[bytes]:
    pattern = f"{cache.prefix}:{{{namespace}}}:e:*"
    return [key async for key in redis_client.scan_iter(match=pattern, count=1000)]


async def test_two_hundred_searches_store_at_most_the_cap(client, world, capped, redis_client):
    statuses = {(await client.get(f"/v1/players?q=zz{n}")).status_code for n in range(200)}
    assert statuses == {200}
    assert len(await _entries(redis_client, capped, REFERENCE)) == CAP
    # Beyond the cap an answer is still right, only uncached.
    response = await client.get("/v1/players?q=tatum")
    assert response.status_code == 200
    assert [p["last_name"] for p in response.json()["items"]] == ["Tatum"]
    assert (await client.get("/v1/players?q=tatum")).headers["x-cache"] == "miss"


async def test_valid_dates_and_offsets_are_capped_too(client, world, capped, redis_client):
    for n in range(60):
        response = await client.get(f"/v1/games?date=2030-01-{n % 28 + 1:02d}&offset={n}")
        assert response.status_code == 200
    assert len(await _entries(redis_client, capped, SCHEDULE)) == CAP


async def test_an_invalidation_starts_a_new_count(client, world, capped, redis_client):
    for n in range(CAP + 5):
        await client.get(f"/v1/players?q=yy{n}")
    await capped.invalidate(REFERENCE)
    await client.get("/v1/players?q=tatum")
    assert (await client.get("/v1/players?q=tatum")).headers["x-cache"] == "hit"


@pytest.fixture
def search_ttl_30(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CACHE_SEARCH_TTL_SECONDS", "30")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


async def test_a_search_is_normalised_and_cached_briefly(
    client, world, cache, redis_client, search_ttl_30
):
    first = await client.get("/v1/players", params={"q": "  JAYSON   tatum "})
    assert first.status_code == 200
    assert [p["last_name"] for p in first.json()["items"]] == ["Tatum"]
    again = await client.get("/v1/players", params={"q": "jayson tatum"})
    assert again.headers["x-cache"] == "hit"
    assert again.content == first.content
    (key,) = [k for k in await _entries(redis_client, cache, REFERENCE) if b"tatum" in k]
    assert 0 < await redis_client.ttl(key) <= 30
    listing = await client.get("/v1/players")  # no search: the long reference TTL
    assert listing.status_code == 200
    (plain,) = [k for k in await _entries(redis_client, cache, REFERENCE) if b"|q=" not in k]
    assert await redis_client.ttl(plain) > 30


async def test_a_blank_search_is_no_search(client, world):
    blank = await client.get("/v1/players", params={"q": "   "})
    assert blank.status_code == 200
    assert blank.json()["total"] == (await client.get("/v1/players")).json()["total"]


async def test_the_in_process_store_is_capped_the_same_way():
    memory = cache_module.Cache(
        cache_module.MemoryBackend(), prefix="m", retry_after_seconds=1, max_entries_per_namespace=3
    )

    async def build() -> bytes:
        return b"value"

    for n in range(5):
        await memory.get_or_build("ns", f"k{n}", 60, build)
    hits = [(await memory.get_or_build("ns", f"k{n}", 60, build))[1] for n in range(5)]
    assert hits == [True, True, True, False, False]
