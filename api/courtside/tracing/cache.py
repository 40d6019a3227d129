"""A client span per Redis round trip (imported with tracing on only).

`TracedBackend` wraps the cache's Redis backend (`courtside.cache.RedisBackend`): each of its
calls is one round trip (a pipeline is one too) and becomes one span, a child of the request's
server span, named after the Redis command(s) it sends. A failure is recorded on the span and
raised on: the cache decides what it means (a miss, the circuit opening). The in-process cache
is not traced: it makes no round trip.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from opentelemetry.trace import SpanKind

from courtside import tracing

if TYPE_CHECKING:
    from courtside.cache_backends import CacheBackend

T = TypeVar("T")


class TracedBackend:
    """The wrapped backend's calls, each in a span `redis <COMMAND>` (see the module docstring)."""

    def __init__(self, backend: CacheBackend, *, server: tuple[str, int] | None = None) -> None:
        self.backend = backend
        self._attributes: dict[str, str | int] = {"db.system.name": "redis"}
        if server is not None:
            self._attributes["server.address"], self._attributes["server.port"] = server

    async def _traced(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        with tracing.tracer().start_as_current_span(
            f"redis {operation}",
            kind=SpanKind.CLIENT,
            attributes={**self._attributes, "db.operation.name": operation},
        ):
            return await call()

    async def get(self, key: str) -> bytes | None:
        return await self._traced("GET", lambda: self.backend.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return await self._traced("MGET", lambda: self.backend.get_many(keys))

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._traced("SET", lambda: self.backend.set(key, value, ttl_seconds))

    async def set_counted(
        self, key: str, value: bytes, ttl_seconds: int, counter_key: str, cap: int
    ) -> bool:
        return await self._traced(
            "EVALSHA",
            lambda: self.backend.set_counted(key, value, ttl_seconds, counter_key, cap),
        )

    async def init(self, key: str, value: bytes) -> bytes:
        return await self._traced("SET NX GET", lambda: self.backend.init(key, value))

    async def delete(self, key: str) -> None:
        await self._traced("DEL", lambda: self.backend.delete(key))

    async def incr(self, key: str, ttl_seconds: int | None = None) -> int:
        return await self._traced("INCR", lambda: self.backend.incr(key, ttl_seconds))

    async def ttl(self, key: str) -> int:
        return await self._traced("TTL", lambda: self.backend.ttl(key))

    async def ping(self) -> None:
        await self._traced("PING", self.backend.ping)

    async def reset(self) -> None:
        await self.backend.reset()

    async def close(self) -> None:
        await self.backend.close()
