"""Two releases of the code on one Redis (a deploy's canary runs old and new side by side):
each reads only the entries it encoded itself (`CACHE_RELEASE`), and an invalidation by either
reaches both, on the real Redis, one read at a time and several in one round trip."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from courtside.cache import Cache, RedisBackend
from courtside.settings import CacheSettings
from tests.conftest import REDIS_PREFIX


@pytest.fixture
async def releases(redis_client: Redis) -> AsyncIterator[dict[str, Cache]]:
    """Caches of releases `old` and `new`, and of none (`""`: unset), under one prefix."""
    prefix = f"{REDIS_PREFIX}:{uuid.uuid4().hex[:8]}"
    caches = {
        release: Cache(
            RedisBackend(redis_client), prefix=prefix, retry_after_seconds=5, release=release
        )
        for release in ("old", "new", "")
    }
    yield caches
    for cache in caches.values():
        await cache.close()


def _build(value: bytes, built: list[bytes]) -> Callable[[], Awaitable[bytes]]:
    async def build() -> bytes:
        built.append(value)
        return value

    return build


async def test_a_release_never_reads_another_releases_entry(
    releases: dict[str, Cache], redis_client: Redis
) -> None:
    built: list[bytes] = []
    old, new, unreleased = releases["old"], releases["new"], releases[""]

    assert await old.get_or_build("rows", "k", 60, _build(b"old shape", built)) == (
        b"old shape",
        False,
    )
    assert await new.get_or_build("rows", "k", 60, _build(b"new shape", built)) == (
        b"new shape",
        False,
    )
    assert await unreleased.get_or_build("rows", "k", 60, _build(b"no release", built)) == (
        b"no release",
        False,
    )
    # Each reads its own from then on.
    assert await old.get_or_build("rows", "k", 60, _build(b"x", built)) == (b"old shape", True)
    assert await new.get_or_build("rows", "k", 60, _build(b"x", built)) == (b"new shape", True)
    assert await unreleased.get_or_build("rows", "k", 60, _build(b"x", built)) == (
        b"no release",
        True,
    )
    assert built == [b"old shape", b"new shape", b"no release"]
    keys = sorted([key.decode() async for key in redis_client.scan_iter(f"{old.prefix}:*:e:*")])
    assert keys == [
        f"{old.prefix}:{{rows}}:e:k",  # no release: the keys as they always were
        f"{old.prefix}:{{rows}}:e:new:k",
        f"{old.prefix}:{{rows}}:e:old:k",
    ]


async def test_an_invalidation_by_one_release_reaches_the_other(
    releases: dict[str, Cache],
) -> None:
    built: list[bytes] = []
    old, new = releases["old"], releases["new"]
    await old.get_or_build("rows", "k", 60, _build(b"old 1", built))
    await old.get_or_build_each([("rows", "j", 60, _build(b"old j1", built)),
                                 ("other", "j", 60, _build(b"old o1", built))])  # fmt: skip

    await new.invalidate("rows")

    assert await old.get_or_build("rows", "k", 60, _build(b"old 2", built)) == (b"old 2", False)
    assert await old.get_or_build_each(
        [("rows", "j", 60, _build(b"old j2", built)), ("other", "j", 60, _build(b"x", built))]
    ) == [(b"old j2", False), (b"old o1", True)]


async def test_several_reads_in_one_round_trip_read_their_own_releases_entries(
    releases: dict[str, Cache],
) -> None:
    built: list[bytes] = []
    old, new = releases["old"], releases["new"]
    reads = [("a", "k", 60, _build(b"old a", built)), ("b", "k", 60, _build(b"old b", built))]
    await old.get_or_build_each(reads)

    got = await new.get_or_build_each(
        [("a", "k", 60, _build(b"new a", built)), ("b", "k", 60, _build(b"new b", built))]
    )

    assert got == [(b"new a", False), (b"new b", False)]
    assert await old.get_or_build_each(reads) == [(b"old a", True), (b"old b", True)]


@pytest.mark.parametrize("release", ["", "a:b", "a b", "x" * 65, "{tag}"])
def test_a_release_is_a_short_plain_token(release: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CACHE_RELEASE", release)
    with pytest.raises(ValidationError, match="cache_release"):
        CacheSettings()


def test_the_settings_hand_the_release_to_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from courtside.cache import build_cache

    monkeypatch.setenv("CACHE_RELEASE", "4c678abf00c7b717")
    cache = build_cache(CacheSettings())
    assert cache._entry_key("rows", "k") == f"{cache.prefix}:{{rows}}:e:4c678abf00c7b717:k"
