"""The cache: Redis when configured, an in-process store otherwise.

The cache is only an optimisation. A Redis error is logged, counts as a miss, and opens a
short circuit (`REDIS_RETRY_AFTER_FAILURE_SECONDS`) during which Redis is not tried at all,
so an unreachable Redis costs one short socket timeout, not one per request.

Keys are grouped in namespaces; `invalidate(namespace)` bumps the namespace's version, which
orphans every key written under the old version (they then expire by TTL). This works the
same across Lambda instances because the version lives in Redis.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from courtside.settings import CacheSettings, get_cache_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class CacheBackend(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl_seconds: int | None = None) -> int: ...
    async def ttl(self, key: str) -> int: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class MemoryBackend:
    """A bounded in-process LRU with per-key expiry (one process only)."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._data: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()
        self._max_entries = max_entries

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires_at, value = item
        if expires_at is not None and expires_at <= time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def _put(self, key: str, value: bytes, ttl_seconds: int | None) -> None:
        expires_at = time.monotonic() + ttl_seconds if ttl_seconds else None
        self._data[key] = (expires_at, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max_entries:
            self._data.popitem(last=False)

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._put(key, value, ttl_seconds)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl_seconds: int | None = None) -> int:
        current = self._live(key)
        if current is None:
            self._put(key, b"1", ttl_seconds)
            return 1
        expires_at, _ = self._data[key]
        value = int(current) + 1
        self._data[key] = (expires_at, str(value).encode())
        return value

    async def ttl(self, key: str) -> int:
        if self._live(key) is None:
            return -2
        expires_at = self._data[key][0]
        return -1 if expires_at is None else max(0, int(expires_at - time.monotonic() + 0.999))

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()


class RedisBackend:
    """Redis with short timeouts; errors propagate to `Cache`, which decides what they mean."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(key)
        if value is None or isinstance(value, bytes):
            return value
        return str(value).encode()

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._client.set(key, value, ex=ttl_seconds if ttl_seconds > 0 else None)

    async def delete(self, key: str) -> None:
        await self._client.delete(key)

    async def incr(self, key: str, ttl_seconds: int | None = None) -> int:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            if ttl_seconds:
                pipe.expire(key, ttl_seconds, nx=True)
            results = await pipe.execute()
        return int(results[0])

    async def ttl(self, key: str) -> int:
        return int(await self._client.ttl(key))

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def redis_url(settings: CacheSettings) -> str | None:
    """REDIS_URL, or one assembled from host/port/TLS/auth secret (Lambda)."""
    if settings.redis_url:
        return settings.redis_url
    if not settings.redis_host:
        return None
    scheme = "rediss" if settings.redis_tls else "redis"
    auth = ""
    if settings.redis_auth_secret_arn:
        from urllib.parse import quote

        from courtside.aws_secrets import secret_string

        auth = f":{quote(secret_string(settings.redis_auth_secret_arn), safe='')}@"
    return f"{scheme}://{auth}{settings.redis_host}:{settings.redis_port}/0"


def build_redis_client(url: str, settings: CacheSettings) -> Redis:
    from redis.asyncio import Redis

    timeout = settings.redis_socket_timeout_seconds
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        health_check_interval=30,
    )


class Cache:
    """Namespaced, versioned read-through caching over a backend that may fail."""

    def __init__(self, backend: CacheBackend, *, prefix: str, retry_after_seconds: float) -> None:
        self.backend = backend
        self.prefix = prefix
        self._retry_after_seconds = retry_after_seconds
        self._down_until = 0.0
        self._pending_invalidations: set[str] = set()

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self._down_until = time.monotonic() + self._retry_after_seconds
        log.warning(
            "cache %s failed (%s: %s); serving without cache", operation, type(exc).__name__, exc
        )

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def _namespace_version(self, namespace: str) -> str:
        raw = await self.backend.get(self.key("ns", namespace))
        return raw.decode() if raw is not None else "0"

    async def get_or_build(
        self,
        namespace: str,
        key: str,
        ttl_seconds: int,
        build: Callable[[], Awaitable[bytes]],
    ) -> tuple[bytes, bool]:
        """The cached value, or `build()`'s, cached; returns (value, whether it was a hit).

        The value is stored under the namespace version read *before* building it. If the
        namespace is invalidated while `build()` reads the database, the possibly stale value
        lands under the old version, where nobody looks: it can never outlive the
        invalidation (re-reading the version at store time would file it under the new one).
        """
        version: str | None = None
        if self.available:
            try:
                await self._flush_pending_invalidations()
                version = await self._namespace_version(namespace)
                cached = await self.backend.get(self.key(namespace, f"v{version}", key))
                if cached is not None:
                    return cached, True
            except Exception as exc:  # any backend failure is a miss
                self._failed("get", exc)
                version = None
        value = await build()
        if version is not None and ttl_seconds > 0 and self.available:
            try:
                await self.backend.set(self.key(namespace, f"v{version}", key), value, ttl_seconds)
            except Exception as exc:
                self._failed("set", exc)
        return value, False

    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached entry of these namespaces unreachable, on every instance.

        A namespace whose invalidation fails (Redis down) is remembered and invalidated
        before this instance next reads the cache, so entries written before the outage do
        not come back when Redis does.
        """
        for namespace in namespaces:
            try:
                await self.backend.incr(self.key("ns", namespace))
                self._pending_invalidations.discard(namespace)
            except Exception as exc:
                self._pending_invalidations.add(namespace)
                self._failed("invalidate", exc)

    async def _flush_pending_invalidations(self) -> None:
        for namespace in list(self._pending_invalidations):
            await self.backend.incr(self.key("ns", namespace))
            self._pending_invalidations.discard(namespace)

    async def ping(self) -> None:
        """Raise if the backend is unreachable (readiness check)."""
        await self.backend.ping()

    async def close(self) -> None:
        await self.backend.close()


_cache: Cache | None = None


def build_cache(settings: CacheSettings) -> Cache:
    url = redis_url(settings)
    backend: CacheBackend = (
        RedisBackend(build_redis_client(url, settings)) if url else MemoryBackend()
    )
    return Cache(
        backend,
        prefix=settings.cache_prefix,
        retry_after_seconds=settings.redis_retry_after_failure_seconds,
    )


def get_cache() -> Cache:
    """The process-wide cache, created on first use (one Redis client per environment)."""
    global _cache
    if _cache is None:
        _cache = build_cache(get_cache_settings())
    return _cache


def use_cache(cache: Cache | None) -> None:
    """Replace the process-wide cache (tests)."""
    global _cache
    _cache = cache
