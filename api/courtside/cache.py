"""The cache: Redis when configured, an in-process store otherwise. Only ever an optimisation.

**Namespaces and versions.** Entries are grouped in namespaces. Each namespace has a version
token; an entry is stored together with the token that was current when its value was *read
from the database* (before building it). `invalidate(namespace)` gives the namespace a new,
never-repeated token, so every entry built before it stops matching, on every instance (the
token lives in Redis). A read fetches the token and the entry in **one round trip** (`MGET`;
both keys share a `{namespace}` hash tag) and is a hit only if the two agree. A value built
while an invalidation lands is stored under the old token, where it never matches: the cache
can never serve a value older than its invalidation.

**Failures.** A Redis error counts as a miss (or, for the counters of `run`, falls back to an
in-process store) and opens a circuit: for `REDIS_RETRY_AFTER_FAILURE_SECONDS` nobody on this
instance tries Redis, then exactly one request probes it while the others keep skipping it.
A failure also drops every pooled connection, so connections to a restarted server are not
reused. So while Redis is down a request pays at most one short socket timeout, and only one
request per instance per retry window pays it; when Redis is back the cache is used again
within one window. The Redis client itself never retries with back-off (see
`build_redis_client`).

**Without Redis** the namespace versions live in the database (`courtside.cache_versions`),
so a writer in another process still invalidates what this process caches, within a bound.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from courtside.settings import CacheSettings, get_cache_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from courtside.cache_versions import DatabaseVersions

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_KEY_LENGTH = 256
"""Longer entry keys are replaced by their SHA-256 (a bound on what a request can store)."""
_TAG_SEPARATOR = b"|"


class CacheUnavailable(Exception):
    """The shared cache is known to be down (the circuit is open)."""


class CacheBackend(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def init(self, key: str, value: bytes) -> bytes:
        """Set `key` to `value` unless it exists; return the value it holds."""
        ...

    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str, ttl_seconds: int | None = None) -> int: ...
    async def ttl(self, key: str) -> int: ...
    async def ping(self) -> None: ...
    async def reset(self) -> None:
        """Drop pooled connections (after a failure: they may point at a dead server)."""
        ...

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

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self._live(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._put(key, value, ttl_seconds)

    async def init(self, key: str, value: bytes) -> bytes:
        current = self._live(key)
        if current is None:
            self._put(key, value, None)
            return value
        return current

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

    async def reset(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()


class RedisBackend:
    """Redis with short timeouts; errors propagate to `Cache`, which decides what they mean."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def get(self, key: str) -> bytes | None:
        return _bytes(await self._client.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [_bytes(value) for value in await self._client.mget(keys)]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._client.set(key, value, ex=ttl_seconds if ttl_seconds > 0 else None)

    async def init(self, key: str, value: bytes) -> bytes:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(key, value, nx=True)
            pipe.get(key)
            _, current = await pipe.execute()
        return _bytes(current) or value

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

    async def reset(self) -> None:
        await self._client.connection_pool.disconnect()

    async def close(self) -> None:
        await self._client.aclose()


def _bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode()


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
    """A client whose every command costs at most one socket timeout.

    redis-py retries failed commands with exponential back-off by default; here a command is
    retried once, at once, and only after a connection error (a pooled connection the server
    closed: the retry reconnects), never after a timeout. No periodic health-check PING
    either: a dead connection is found by that one retry instead of a round trip per use.
    """
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    timeout = settings.redis_socket_timeout_seconds
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        health_check_interval=0,
    )


class Circuit:
    """Whether to try Redis now: closed (yes), open (no, until the retry window has passed),
    then one probe at a time until a call succeeds."""

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        self._open_until: float | None = None
        self._probing = False

    @property
    def closed(self) -> bool:
        return self._open_until is None

    def allow(self) -> bool:
        """True if this call may use Redis (when the circuit is open: only the one probe)."""
        if self._open_until is None:
            return True
        if self._probing or time.monotonic() < self._open_until:
            return False
        self._probing = True
        return True

    def succeeded(self) -> None:
        self._open_until = None
        self._probing = False

    def failed(self) -> None:
        self._open_until = time.monotonic() + self.retry_after_seconds
        self._probing = False


class Cache:
    """Namespaced, versioned read-through caching over a backend that may fail, and `run`,
    the failover for callers that must work with or without Redis (rate limits)."""

    def __init__(
        self,
        backend: CacheBackend,
        *,
        prefix: str,
        retry_after_seconds: float,
        local: MemoryBackend | None = None,
        versions: DatabaseVersions | None = None,
    ) -> None:
        self.backend = backend
        self.versions = versions
        self.prefix = prefix
        self.circuit = Circuit(retry_after_seconds)
        self.local = local or (backend if isinstance(backend, MemoryBackend) else MemoryBackend())
        """Where `run` goes when the backend cannot be used (the backend itself if local)."""
        self._pending_invalidations: set[str] = set()

    @property
    def available(self) -> bool:
        """The backend is believed to work (the circuit is closed)."""
        return self.circuit.closed

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _version_key(self, namespace: str) -> str:
        return f"{self.prefix}:{{{namespace}}}:v"

    def _entry_key(self, namespace: str, key: str) -> str:
        if len(key) > MAX_KEY_LENGTH:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return f"{self.prefix}:{{{namespace}}}:e:{key}"

    async def _failed(self, operation: str, exc: Exception) -> None:
        self.circuit.failed()
        log.warning(
            "cache %s failed (%s: %s); serving without cache", operation, type(exc).__name__, exc
        )
        try:
            await self.backend.reset()
        except Exception as reset_exc:  # nothing more to do: the next probe reconnects
            log.debug("cache reset failed: %s", reset_exc)

    async def get_or_build(
        self,
        namespace: str,
        key: str,
        ttl_seconds: int,
        build: Callable[[], Awaitable[bytes]],
    ) -> tuple[bytes, bool]:
        """The cached value, or `build()`'s, cached; returns (value, whether it was a hit).

        One round trip for a hit. On a miss the value is stored under the namespace token
        read *before* building it (see the module docstring).
        """
        version: bytes | None = None
        entry_key = self._entry_key(namespace, key)
        if self.circuit.allow():
            try:
                if self._pending_invalidations:
                    await self._flush_pending_invalidations()
                if self.versions is not None:  # in-process cache: versions in the database
                    version = await self.versions.token(namespace)
                    cached = await self.backend.get(entry_key)
                else:
                    version, cached = await self.backend.get_many(
                        [self._version_key(namespace), entry_key]
                    )
                if version is None:
                    version = await self.backend.init(self._version_key(namespace), _token())
                self.circuit.succeeded()
                if cached is not None:
                    tag, _, value = cached.partition(_TAG_SEPARATOR)
                    if tag == version:
                        return value, True
            except Exception as exc:  # any backend failure is a miss
                await self._failed("get", exc)
                version = None
        value = await build()
        if version is not None and ttl_seconds > 0 and self.circuit.closed:
            try:
                await self.backend.set(entry_key, version + _TAG_SEPARATOR + value, ttl_seconds)
            except Exception as exc:
                await self._failed("set", exc)
        return value, False

    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached entry of these namespaces unreachable, on every instance.

        A namespace whose invalidation fails (Redis down) is remembered and invalidated
        before this instance next reads the cache, so entries written before the outage do
        not come back when Redis does. (In-process: see `cache_versions.bump_now`.)
        """
        if self.versions is not None:
            return await self.versions.bump_now(namespaces)
        for namespace in namespaces:
            try:
                await self.backend.set(self._version_key(namespace), _token(), 0)
                self._pending_invalidations.discard(namespace)
            except Exception as exc:
                self._pending_invalidations.add(namespace)
                await self._failed("invalidate", exc)

    async def _flush_pending_invalidations(self) -> None:
        for namespace in list(self._pending_invalidations):
            await self.backend.set(self._version_key(namespace), _token(), 0)
            self._pending_invalidations.discard(namespace)

    async def run(self, operation: str, call: Callable[[CacheBackend], Awaitable[T]]) -> T:
        """`call(backend)` on the shared backend, or on the in-process store while it cannot
        be used: the one failover for data that must work either way (rate-limit counters).
        In-process data is per instance: weaker, but never open."""
        if self.backend is not self.local and self.circuit.allow():
            try:
                result = await call(self.backend)
            except Exception as exc:
                await self._failed(operation, exc)
            else:
                self.circuit.succeeded()
                return result
        return await call(self.local)

    async def ping(self) -> None:
        """Raise if the backend is unreachable (readiness check). While the circuit is open
        this says so at once: readiness is a request too, and pays no timeout."""
        if not self.circuit.allow():
            raise CacheUnavailable("Redis failed recently; not retried until the window ends")
        try:
            await self.backend.ping()
        except Exception as exc:
            await self._failed("ping", exc)
            raise
        self.circuit.succeeded()

    async def close(self) -> None:
        await self.backend.close()


def _token() -> bytes:
    """A namespace version that is never reused (so an evicted version key cannot make an
    old entry match again)."""
    return secrets.token_hex(8).encode()


_cache: Cache | None = None


def build_cache(settings: CacheSettings) -> Cache:
    url = redis_url(settings)
    backend: CacheBackend = (
        RedisBackend(build_redis_client(url, settings)) if url else MemoryBackend()
    )
    versions = None
    if not url:  # imported only then: a Lambda with Redis never loads it
        from courtside.cache_versions import DatabaseVersions

        versions = DatabaseVersions()
    return Cache(
        backend,
        prefix=settings.cache_prefix,
        retry_after_seconds=settings.redis_retry_after_failure_seconds,
        versions=versions,
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
