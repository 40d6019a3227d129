"""The demo season the tests of this directory read (see conftest.py), and the moment it was
generated for."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from courtside import cache as cache_module
from courtside import db
from scripts.demo_data import generate_season, load_season

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
"""The moment the season is generated for: its past games are final, the rest to come."""


class Seasons:
    """One connection per dialect with the demo season loaded in its open transaction."""

    def __init__(self, engines: dict[str, AsyncEngine]) -> None:
        self._engines = engines
        self._held: dict[str, tuple[AsyncConnection, AsyncTransaction]] = {}

    async def connection(self, dialect: str) -> AsyncConnection:
        if dialect not in self._held:
            conn = await self._engines[dialect].connect()
            transaction = await conn.begin()
            try:
                if dialect == "postgres":
                    # Idle in its transaction while the other dialect's tests run: the
                    # server's idle timeout (30 s, `db.build_engine`) must not end it.
                    await conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
                await self._load(conn, dialect)
            except BaseException:
                await _close(conn, transaction)
                raise
            self._held[dialect] = (conn, transaction)
        return self._held[dialect][0]

    async def _load(self, conn: AsyncConnection, dialect: str) -> None:
        db.use_connection(conn)
        # The load's commits invalidate cache namespaces: in a cache of its own, then the one
        # a test's fixtures may have set up already.
        previous = cache_module._cache
        cache_module.use_cache(
            cache_module.Cache(cache_module.MemoryBackend(), prefix="season", retry_after_seconds=1)
        )
        try:
            await load_season(generate_season(seed=3, now=NOW))
        finally:
            cache_module.use_cache(previous)
            db.use_engine(self._engines[dialect])

    async def close(self) -> None:
        """Each connection rolled back and closed, whatever another's did (an open SQLite
        transaction would lock the file for the worker's next tests)."""
        held, self._held = list(self._held.values()), {}
        async with contextlib.AsyncExitStack() as stack:
            for conn, transaction in held:
                stack.push_async_callback(_close, conn, transaction)


async def _close(conn: AsyncConnection, transaction: AsyncTransaction) -> None:
    try:
        if transaction.is_active:
            await transaction.rollback()
    finally:
        await conn.close()
