"""The league's reference data the pages share (the teams for a filter), from the cache.

The board and the record each listed every team on every request (a statement each time,
for rows that change a few times a season). They now read them from the cache, under the
`reference` namespace that ingesting teams invalidates after its commit (`services.ingest`),
so a page never shows a team list older than its last invalidation; the board reads them
with its games and the flags in one Redis round trip (`page_slates.board_slate_reads`).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead, get_cache
from courtside.http_cache import REFERENCE
from courtside.models import Team
from courtside.settings import get_cache_settings

TEAMS_KEY = "pages:teams"


class TeamRef(NamedTuple):
    """What a page's team filter shows: no ORM object, nothing to load lazily. A named
    tuple (issue 23): built, hashed and compared in C, as a card's key holds two of them."""

    id: int
    abbreviation: str
    city: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


def teams_read(session: AsyncSession) -> CacheRead:
    """The cache read of every team (`Cache.get_or_build`'s arguments)."""

    async def load() -> bytes:
        rows = await session.execute(
            select(Team.id, Team.abbreviation, Team.city, Team.name).order_by(Team.abbreviation)
        )
        return json.dumps([list(row) for row in rows]).encode()

    return REFERENCE, TEAMS_KEY, get_cache_settings().cache_ttl_reference_seconds, load


def teams_of(raw: bytes) -> list[TeamRef]:
    return [TeamRef(*row) for row in json.loads(raw)]


async def teams(session: AsyncSession) -> list[TeamRef]:
    """Every team, by abbreviation."""
    raw, _hit = await get_cache().get_or_build(*teams_read(session))
    return teams_of(raw)
