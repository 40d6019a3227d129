"""Single-session logout: a denylist of token ids (`jti`) until the token would expire.

"Log out everywhere", deactivation and demotion use the token version instead (one integer
per user, no list). This list only holds tokens whose owner pressed "log out", so a copied
cookie dies with the logout. It lives in the cache backend (Redis, shared); if Redis fails
an in-process list is used, so a logout on this instance still holds.
"""

from __future__ import annotations

import time

from courtside.cache import get_cache


def _key(jti: str) -> str:
    return get_cache().key("revoked-jti", jti[:64])


async def revoke(jti: str, expires_at: int) -> None:
    ttl = max(1, expires_at - int(time.time()) + 1)
    cache = get_cache()
    await cache.local.set(_key(jti), b"1", ttl)
    await cache.run("revoke token", lambda backend: backend.set(_key(jti), b"1", ttl))


async def is_revoked(jti: str) -> bool:
    cache = get_cache()
    if await cache.local.get(_key(jti)) is not None:
        return True
    found = await cache.run("check revoked token", lambda backend: backend.get(_key(jti)))
    return found is not None
