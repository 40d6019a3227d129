"""Feature flags: read on hot paths, so cached; a change invalidates the cache everywhere."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import get_cache
from courtside.models import FeatureFlag

FLAGS_NAMESPACE = "flags"
FLAGS_TTL_SECONDS = 300

BETTING_OPEN = "betting_open"
SIGNUP_OPEN = "signup_open"

DEFAULTS: dict[str, bool] = {BETTING_OPEN: True, SIGNUP_OPEN: True}
"""A flag with no row takes its default here (unknown flags are off)."""


async def all_flags(session: AsyncSession) -> dict[str, bool]:
    cache = get_cache()
    cached = await cache.get(FLAGS_NAMESPACE, "all")
    if cached is not None:
        return dict(json.loads(cached))
    rows = (await session.execute(select(FeatureFlag.name, FeatureFlag.enabled))).all()
    flags = {**DEFAULTS, **{name: enabled for name, enabled in rows}}
    await cache.set(FLAGS_NAMESPACE, "all", json.dumps(flags).encode(), FLAGS_TTL_SECONDS)
    return flags


async def is_enabled(session: AsyncSession, name: str) -> bool:
    return (await all_flags(session)).get(name, False)


async def invalidate_flags() -> None:
    """Call after committing a flag change, so every instance reads the new value."""
    await get_cache().invalidate(FLAGS_NAMESPACE)
