"""The cache: Redis when configured, an in-process store otherwise. Only ever an optimisation.

**Namespaces and versions.** Entries are grouped in namespaces. Each namespace has a version
token; an entry is stored together with the token that was current when its value was *read
from the database* (before building it). `invalidate(namespace)` gives the namespace a new,
never-repeated token, so every entry built before it stops matching, on every instance (the
token lives in Redis). A read fetches the token and the entry in **one round trip** (`MGET`;
both keys share a `{namespace}` hash tag) and is a hit only if the two agree. A value built
while an invalidation lands is stored under the old token, where it never matches: the cache
can never serve a value older than its invalidation.

**Releases.** Entry keys carry the code's release (`CACHE_RELEASE`: the stacks set the app
image's source fingerprint), the namespaces' versions do not: while a canary runs old and new
code on one Redis, neither reads an entry the other encoded (a page's rows, a record's lines:
a changed shape would fail to decode), and an invalidation by either reaches both.

**Failures.** A Redis error counts as a miss (or, for the counters of `run`, falls back to an
in-process store) and opens a circuit: for `REDIS_RETRY_AFTER_FAILURE_SECONDS` nobody on this
instance tries Redis, then exactly one request probes it while the others keep skipping it.
A failure also drops every pooled connection, so connections to a restarted server are not
reused. So while Redis is down a request pays at most one short socket timeout, and only one
request per instance per retry window pays it; when Redis is back the cache is used again
within one window. The Redis client itself never retries with back-off (see
`build_redis_client`).

**With a read replica** a new token also carries the writer's WAL position (`new_token`,
`courtside.read_replica.new_version`), and a miss is built on the replica only once it has
replayed that far: the token is handed to the builder (`get_or_fill`).

**Without Redis** the namespace versions live in the database (`courtside.cache_versions`),
so a writer in another process still invalidates what this process caches, within a bound.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from courtside import tracing
from courtside.cache_backends import CacheBackend, MemoryBackend, RedisBackend
from courtside.cache_retry import Circuit, PendingInvalidations
from courtside.settings import CacheSettings, get_cache_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from courtside.cache_versions import DatabaseVersions

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = [
    "Cache",
    "CacheBackend",
    "CacheRead",
    "CacheUnavailable",
    "MemoryBackend",
    "RedisBackend",
]

CacheRead = tuple[str, str, int, Callable[[], Awaitable[bytes]]]
"""What `Cache.get_or_build` takes: namespace, key, TTL in seconds, and the build of a miss."""

DEFAULT_MAX_ENTRIES_PER_NAMESPACE: int = CacheSettings.model_fields[
    "cache_max_entries_per_namespace"
].default
MAX_KEY_LENGTH = 256
"""Longer entry keys are replaced by their SHA-256 (a bound on what a request can store)."""
_TAG_SEPARATOR = b"|"


class CacheUnavailable(Exception):
    """The shared cache is known to be down (the circuit is open)."""


def redis_url(settings: CacheSettings) -> str | None:
    """REDIS_URL, or one assembled from host/port/TLS/auth secret (Lambda)."""
    if settings.redis_url:
        return settings.redis_url
    if not settings.redis_host:
        return None
    scheme = "rediss" if settings.redis_tls else "redis"
    auth = ""
    if settings.redis_auth_secret_arn:
        # lazy: Secrets Manager's client (boto3) only where Redis has an AUTH token (AWS)
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
    # lazy: redis-py only where a Redis is configured; `make run` uses the memory backend
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


def _unversioned(
    build: Callable[[], Awaitable[bytes]],
) -> Callable[[bytes | None], Awaitable[bytes]]:
    """`build` as `get_or_fill` takes it (ignoring the version token)."""
    return lambda _version: build()


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
        max_entries_per_namespace: int = DEFAULT_MAX_ENTRIES_PER_NAMESPACE,
        versions: DatabaseVersions | None = None,
        new_token: Callable[[], Awaitable[bytes]] | None = None,
        release: str | None = None,
    ) -> None:
        self.backend = backend
        self._entries = f"e:{release}:" if release else "e:"
        """Where the entries' keys start after the namespace: this release's own."""
        self._new_token = new_token
        """Makes a namespace's next version token (default: random, `_token`)."""
        self.max_entries_per_namespace = max_entries_per_namespace
        self.versions = versions
        self.prefix = prefix
        self.circuit = Circuit(retry_after_seconds)
        self.local = local or (backend if isinstance(backend, MemoryBackend) else MemoryBackend())
        """Where `run` goes when the backend cannot be used (the backend itself if local)."""
        self._pending_invalidations = PendingInvalidations(
            self._retry_invalidations, every_seconds=retry_after_seconds
        )

    @property
    def available(self) -> bool:
        """The backend is believed to work (the circuit is closed)."""
        return self.circuit.closed

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _version_key(self, namespace: str) -> str:
        return f"{self.prefix}:{{{namespace}}}:v"

    def _count_key(self, namespace: str, version: bytes) -> str:
        return f"{self.prefix}:{{{namespace}}}:n:{version.decode()}"

    def _entry_key(self, namespace: str, key: str) -> str:
        if len(key) > MAX_KEY_LENGTH:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return f"{self.prefix}:{{{namespace}}}:{self._entries}{key}"

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
        """The cached value, or `build()`'s, cached; returns (value, whether it was a hit)."""
        return await self.get_or_fill(namespace, key, ttl_seconds, _unversioned(build))

    async def get_or_fill(
        self,
        namespace: str,
        key: str,
        ttl_seconds: int,
        build: Callable[[bytes | None], Awaitable[bytes]],
    ) -> tuple[bytes, bool]:
        """`get_or_build`, handing `build` the version token the value will be filed under
        (None: it will not be cached, the token is unknown).

        One round trip for a hit. On a miss the value is stored under the namespace token
        read *before* building it (see the module docstring), unless the namespace has
        stored `max_entries_per_namespace` entries within a TTL already (under that token:
        an invalidation starts a new count), then the value is served uncached.
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
                    version = await self.backend.init(
                        self._version_key(namespace), await self._token()
                    )
                self.circuit.succeeded()
                if cached is not None:
                    tag, _, value = cached.partition(_TAG_SEPARATOR)
                    if tag == version:
                        return value, True
            except Exception as exc:  # any backend failure is a miss
                await self._failed("get", exc)
                version = None
        return await self._fill(namespace, entry_key, ttl_seconds, version, build), False

    async def _fill(
        self,
        namespace: str,
        entry_key: str,
        ttl_seconds: int,
        version: bytes | None,
        build: Callable[[bytes | None], Awaitable[bytes]],
    ) -> bytes:
        """A miss: `build(version)`'s value, stored under `version` (None: not stored)."""
        value = await build(version)
        if version is not None and ttl_seconds > 0 and self.circuit.closed:
            try:
                await self.backend.set_counted(
                    entry_key,
                    version + _TAG_SEPARATOR + value,
                    ttl_seconds,
                    self._count_key(namespace, version),
                    self.max_entries_per_namespace,
                )
            except Exception as exc:
                await self._failed("set", exc)
        return value

    async def get_or_build_each(self, reads: Sequence[CacheRead]) -> list[tuple[bytes, bool]]:
        """`get_or_build` of each read, with every namespace's version and entry read in one
        round trip (one `MGET`) instead of one a read (issue 23: a page that reads the teams
        and the flags waited for two). A miss is built and stored as `get_or_build` does,
        under the version read in that round trip; a namespace without a version yet gets
        one first (`init`), as there. Redis only: the in-process cache (versions in the
        database) reads each as `get_or_build`.

        One `MGET` over several namespaces' keys needs a Redis that is not in cluster mode
        (their `{namespace}` hash tags differ), which is what `build_redis_client` connects
        to (ElastiCache with cluster mode disabled, `cache/infrastructure.py`)."""
        if self.versions is not None or len(reads) < 2:
            return [await self.get_or_build(*read) for read in reads]
        entry_keys = [self._entry_key(namespace, key) for namespace, key, _, _ in reads]
        versions: list[bytes | None] = [None] * len(reads)
        found: list[tuple[bytes, bool] | None] = [None] * len(reads)
        if self.circuit.allow():
            try:
                if self._pending_invalidations:
                    await self._flush_pending_invalidations()
                keys: list[str] = []
                for (namespace, _, _, _), entry_key in zip(reads, entry_keys, strict=True):
                    keys += (self._version_key(namespace), entry_key)
                values = await self.backend.get_many(keys)
                for index, (namespace, _, _, _) in enumerate(reads):
                    version, cached = values[2 * index], values[2 * index + 1]
                    if version is None:
                        version = await self.backend.init(
                            self._version_key(namespace), await self._token()
                        )
                    versions[index] = version
                    if cached is not None:
                        tag, _, value = cached.partition(_TAG_SEPARATOR)
                        if tag == version:
                            found[index] = (value, True)
                self.circuit.succeeded()
            except Exception as exc:  # any backend failure is a miss of every read
                await self._failed("get", exc)
                versions = [None] * len(reads)
                found = [None] * len(reads)
        answers = []
        for index, (namespace, _, ttl_seconds, build) in enumerate(reads):
            hit = found[index]
            if hit is None:
                value = await self._fill(
                    namespace, entry_keys[index], ttl_seconds, versions[index], _unversioned(build)
                )
                hit = (value, False)
            answers.append(hit)
        return answers

    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached entry of these namespaces unreachable, on every instance.

        A namespace whose invalidation fails (Redis down) is remembered and invalidated
        again, once per retry window until Redis takes it (`cache_retry`), and before this
        instance next reads the cache: entries written before the outage do not come back
        when Redis does. (In-process: see `cache_versions.bump_now`.)
        """
        if self.versions is not None:
            return await self.versions.bump_now(namespaces)
        for namespace in namespaces:
            try:
                await self.backend.set(self._version_key(namespace), await self._token(), 0)
                self._pending_invalidations.discard(namespace)
            except Exception as exc:
                self._pending_invalidations.add(namespace)
                await self._failed("invalidate", exc)

    async def _flush_pending_invalidations(self) -> None:
        for namespace in self._pending_invalidations:
            await self.backend.set(self._version_key(namespace), await self._token(), 0)
            self._pending_invalidations.discard(namespace)

    async def _retry_invalidations(self) -> bool:
        """One background attempt (respecting the circuit); whether none is pending now."""
        if self._pending_invalidations and self.circuit.allow():
            try:
                await self._flush_pending_invalidations()
            except Exception as exc:
                await self._failed("invalidate", exc)
            else:
                self.circuit.succeeded()
        return not self._pending_invalidations

    async def _token(self) -> bytes:
        return await self._new_token() if self._new_token is not None else _token()

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
        self._pending_invalidations.stop()
        await self.backend.close()


def _token() -> bytes:
    """A namespace version that is never reused (so an evicted version key cannot make an
    old entry match again)."""
    return secrets.token_hex(8).encode()


async def _replica_aware_token() -> bytes:
    """`read_replica.new_version` if a replica may be in use (configured, or installed by
    `use_replica`); else `_token()`, without loading the database layer (issue 23)."""
    from courtside.replica_settings import get_replica_settings  # lazy: the settings only

    if "courtside.read_replica" not in sys.modules and not get_replica_settings().configured:
        return _token()
    from courtside.read_replica import new_version  # lazy: the database layer, see above

    return await new_version()


_cache: Cache | None = None


def build_cache(settings: CacheSettings) -> Cache:
    url = redis_url(settings)
    backend: CacheBackend = (
        RedisBackend(build_redis_client(url, settings)) if url else MemoryBackend()
    )
    if url and tracing.enabled():  # a span per round trip
        # lazy: OpenTelemetry is loaded only when tracing is on (cold start)
        from urllib.parse import urlsplit

        from courtside.tracing.cache import TracedBackend

        parts = urlsplit(url)
        server = (parts.hostname, parts.port or 6379) if parts.hostname else None
        backend = TracedBackend(backend, server=server)
    versions = None
    new_token = None
    if not url:
        # lazy: the database's versions only without Redis: a Lambda with Redis never loads them
        from courtside.cache_versions import DatabaseVersions

        versions = DatabaseVersions()
    else:  # tokens carry the writer's position when a replica is configured
        new_token = _replica_aware_token
    return Cache(
        backend,
        prefix=settings.cache_prefix,
        release=settings.cache_release,
        retry_after_seconds=settings.redis_retry_after_failure_seconds,
        max_entries_per_namespace=settings.cache_max_entries_per_namespace,
        versions=versions,
        new_token=new_token,
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
