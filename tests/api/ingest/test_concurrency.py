"""Concurrent batches on PostgreSQL, with real commits and one connection per batch."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from courtside.models import (
    AuditEvent,
    Game,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Team,
)
from courtside.schemas.ingest import Dataset
from courtside.services import audit
from courtside.services.ingest import ingest
from courtside.unit_of_work import unit_of_work
from tests.api.ingest import records as r

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("cache")]

ACTOR = audit.Actor("api_key", "1", "pipeline")


async def _send(
    maker: async_sessionmaker[AsyncSession], dataset: Dataset, batch: list[dict[str, Any]]
) -> int:
    async with unit_of_work(maker) as work:
        result = await ingest(work.session, dataset, batch, actor=ACTOR)
    return result.inserted


async def _count(maker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_concurrent_overlapping_batches_all_succeed(committed_engine: AsyncEngine) -> None:
    """Ten batches sharing keys, in different orders, at once: no error, no deadlock, no
    duplicate, and each new row is counted as inserted exactly once."""
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    await _send(maker, Dataset.TEAMS, r.teams())
    games = [
        r.game(f"g-{i}", "BOS", "NYK", status="final", home_score=100 + i, away_score=99)
        for i in range(40)
    ]
    batches = []
    for seed in range(10):
        batch = list(games)
        random.Random(seed).shuffle(batch)
        batches.append(batch[:30])
    inserted = await asyncio.gather(*(_send(maker, Dataset.GAMES, b) for b in batches))
    assert await _count(maker, Game) == len({g["external_id"] for b in batches for g in b})
    assert sum(inserted) == await _count(maker, Game)
    assert await _count(maker, Team) == 3
    assert await _count(maker, AuditEvent) == 11


async def test_concurrent_player_batches_resolve_every_player(
    committed_engine: AsyncEngine,
) -> None:
    """The nested season rows need every player's id, even one a concurrent batch inserted."""
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    await _send(maker, Dataset.TEAMS, r.teams())
    players = [r.player(f"p-{i}") for i in range(30)]
    await asyncio.gather(*(_send(maker, Dataset.PLAYERS, players) for _ in range(8)))
    assert await _count(maker, Player) == 30
    assert await _count(maker, PlayerSeasonStats) == 30


async def test_concurrent_identical_odds_batches_store_each_snapshot_once(
    committed_engine: AsyncEngine,
) -> None:
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    await _send(maker, Dataset.TEAMS, r.teams())
    await _send(maker, Dataset.GAMES, [r.game("g-1")])
    lines = [r.odds(at=f"2026-11-19T{hour:02d}:00:00Z") for hour in range(24)]
    await asyncio.gather(*(_send(maker, Dataset.ODDS, lines) for _ in range(8)))
    assert await _count(maker, OddsSnapshot) == 24
