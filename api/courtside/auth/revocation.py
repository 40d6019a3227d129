"""Single-session logout: a denylist of token ids (`jti`) until the token would expire.

"Log out everywhere", deactivation and demotion use the token version instead (one integer
per user, no list). This list only holds tokens whose owner pressed "log out", so a copied
cookie dies with the logout. It lives in the cache backend (Redis, shared); if Redis fails
an in-process list is used, so a logout on this instance still holds.
"""

from __future__ import annotations

import time

from courtside.cache import MemoryBackend, get_cache

_fallback = MemoryBackend(max_entries=50_000)


def _key(jti: str) -> str:
    return get_cache().key("revoked-jti", jti[:64])


async def revoke(jti: str, expires_at: int) -> None:
    ttl = max(1, expires_at - int(time.time()) + 1)
    cache = get_cache()
    await _fallback.set(_key(jti), b"1", ttl)
    if cache.available:
        try:
            await cache.backend.set(_key(jti), b"1", ttl)
        except Exception as exc:
            cache._failed("revoke token", exc)


async def is_revoked(jti: str) -> bool:
    if await _fallback.get(_key(jti)) is not None:
        return True
    cache = get_cache()
    if not cache.available:
        return False
    try:
        return await cache.backend.get(_key(jti)) is not None
    except Exception as exc:
        cache._failed("check revoked token", exc)
        return False
