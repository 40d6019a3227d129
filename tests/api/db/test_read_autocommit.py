"""`db.EngineReads` on PostgreSQL: a read's connection is in autocommit while the read runs
(no BEGIN, no ROLLBACK) and goes back to the pool in its default mode, whatever the read did,
so the next session on that same connection runs in a transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from courtside import db
from courtside.settings import get_database_settings

pytestmark = pytest.mark.postgres_only


@pytest.fixture
async def one_connection(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds a single connection: every read and session shares it."""
    settings = get_database_settings().model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "database_use_proxy": False}
    )
    engine = db.build_engine(settings, url=postgres_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@contextmanager
def sent_to_driver(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What reaches asyncpg's `execute` (BEGIN, ROLLBACK, COMMIT go that way)."""
    sent: list[str] = []
    original = asyncpg.connection.Connection.execute

    async def execute(self, query, *args, **kwargs):
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(asyncpg.connection.Connection, "execute", execute)
        yield sent


async def select_one(connection: AsyncConnection) -> object:
    return await connection.scalar(text("SELECT 1"))


async def fails(connection: AsyncConnection) -> object:
    await connection.scalar(text("SELECT 1"))
    raise LookupError("not a database error")


async def session_begins(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> bool:
    with sent_to_driver(monkeypatch) as sent:
        async with async_sessionmaker(engine)() as session:
            await session.execute(text("SELECT 1"))
    return any(query.startswith("BEGIN") for query in sent)


async def test_a_read_is_autocommit_and_the_next_session_on_its_connection_is_not(
    one_connection: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = db.EngineReads(one_connection)
    assert await db.read(select_one, source=reads) == 1  # the first connect may talk
    with sent_to_driver(monkeypatch) as sent:
        for _ in range(3):
            assert await db.read(select_one, source=reads) == 1
    assert sent == []
    assert await session_begins(one_connection, monkeypatch)
    assert await db.read(select_one, source=reads) == 1
    assert await session_begins(one_connection, monkeypatch)


async def test_a_read_that_raises_still_returns_its_connection_in_default_mode(
    one_connection: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = db.EngineReads(one_connection)
    with pytest.raises(LookupError):
        await db.read(fails, source=reads)
    assert await session_begins(one_connection, monkeypatch)
    with sent_to_driver(monkeypatch) as sent:
        assert await db.read(select_one, source=reads) == 1
    assert sent == []
