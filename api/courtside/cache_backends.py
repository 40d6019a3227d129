"""Where the cache keeps its entries: Redis, or a bounded in-process store.

`Cache` (`courtside.cache`) decides what a failure means; a backend only does what it is
asked and lets errors propagate.

`set_counted` stores an entry only while its namespace has stored fewer than `cap` entries
in the current window (a counter key that expires with the window): a client cycling
through valid parameters (`?q=` a new name each time, a new `offset`) cannot make the cache
hold more than that, whatever it sends. In Redis the count and the write are one Lua script:
one round trip, atomic, both keys in the namespace's hash slot.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

_SET_COUNTED = """
local stored = redis.call('INCR', KEYS[2])
if stored == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
if stored > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""


class CacheBackend(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def set_counted(
        self, key: str, value: bytes, ttl_seconds: int, counter_key: str, cap: int
    ) -> bool:
        """Set `key` for `ttl_seconds` (> 0) unless `counter_key`'s window has counted `cap`
        writes already (the window is `ttl_seconds` from its first write); whether it did."""
        ...

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
        self._counts: dict[str, tuple[float, int]] = {}

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

    async def set_counted(
        self, key: str, value: bytes, ttl_seconds: int, counter_key: str, cap: int
    ) -> bool:
        if self._count(counter_key, ttl_seconds) > cap:
            return False
        self._put(key, value, ttl_seconds)
        return True

    def _count(self, key: str, ttl_seconds: int) -> int:
        """Count a write in `key`'s window; kept apart from the entries, so counting never
        evicts one (and bounded the same way)."""
        now = time.monotonic()
        expires_at, count = self._counts.pop(key, (now + ttl_seconds, 0))
        if expires_at <= now:
            expires_at, count = now + ttl_seconds, 0
        self._counts[key] = (expires_at, count + 1)
        if len(self._counts) > self._max_entries:
            self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            while len(self._counts) > self._max_entries:
                del self._counts[next(iter(self._counts))]
        return count + 1

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
        self._set_counted = client.register_script(_SET_COUNTED)

    async def get(self, key: str) -> bytes | None:
        return _bytes(await self._client.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [_bytes(value) for value in await self._client.mget(keys)]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._client.set(key, value, ex=ttl_seconds if ttl_seconds > 0 else None)

    async def set_counted(
        self, key: str, value: bytes, ttl_seconds: int, counter_key: str, cap: int
    ) -> bool:
        stored = await self._set_counted(keys=[key, counter_key], args=[value, cap, ttl_seconds])
        return bool(stored)

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
