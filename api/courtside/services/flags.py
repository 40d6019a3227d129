"""Feature flags: read on hot paths, so cached; a change invalidates the cache everywhere."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead, get_cache
from courtside.models import FeatureFlag

FLAGS_NAMESPACE = "flags"
FLAGS_TTL_SECONDS = 300

BETTING_OPEN = "betting_open"
SIGNUP_OPEN = "signup_open"

DEFAULTS: dict[str, bool] = {BETTING_OPEN: True, SIGNUP_OPEN: True}
"""A flag with no row takes its default here (unknown flags are off)."""


def flags_read(session: AsyncSession) -> CacheRead:
    """The cache read of every flag (`Cache.get_or_build`'s arguments), for a page that reads
    it with others in one round trip (`page_slates.board_slate_reads`,
    `page_slates.game_page_reads`); `flags_of` its value."""

    async def load() -> bytes:
        rows = (await session.execute(select(FeatureFlag.name, FeatureFlag.enabled))).all()
        return json.dumps({**DEFAULTS, **{name: enabled for name, enabled in rows}}).encode()

    return FLAGS_NAMESPACE, "all", FLAGS_TTL_SECONDS, load


def flags_of(raw: bytes) -> dict[str, bool]:
    return dict(json.loads(raw))


async def all_flags(session: AsyncSession) -> dict[str, bool]:
    raw, _hit = await get_cache().get_or_build(*flags_read(session))
    return flags_of(raw)


async def is_enabled(session: AsyncSession, name: str) -> bool:
    return (await all_flags(session)).get(name, False)


async def invalidate_flags() -> None:
    """After a flag change commits (`flag_admin` registers it), every instance reads anew."""
    await get_cache().invalidate(FLAGS_NAMESPACE)
