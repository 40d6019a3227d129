"""A `Prepared` statement sent on a session's connection (`page_reads.read_prepared`, the
signed-in pages) whose connection fails without closing (asyncpg's client-side timeout) is
raised as the driver raised it, once: not sent a second time through SQLAlchemy into a
transaction the timeout aborted, which answered "current transaction is aborted" (a 500)
where the timeout is a 503. A public read (`db.read`, autocommit) still resends a failed one
(`tests/api/core/test_prepared.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from courtside.errors import is_unavailable
from courtside.prepared import Prepared
from courtside.services.page_reads import read_prepared

pytestmark = pytest.mark.postgres_only

SLOW = Prepared(lambda: select(func.pg_sleep(0.6)))


@pytest.fixture
async def impatient(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose driver gives up on a statement after 0.2 s (the server would wait)."""
    engine = create_async_engine(postgres_url, connect_args={"command_timeout": 0.2})
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_timeout_in_a_begun_session_is_raised_once_and_means_unavailable(impatient):
    sent: list[str] = []
    event.listen(
        impatient.sync_engine,
        "before_cursor_execute",
        lambda _c, _cu, statement, *_: sent.append(statement),
    )
    async with async_sessionmaker(impatient)() as session:
        await session.execute(text("SELECT 1"))  # the page's transaction has begun
        with pytest.raises(TimeoutError) as raised:
            await read_prepared(session, SLOW, {})
    assert is_unavailable(raised.value), repr(raised.value)
    assert sum("pg_sleep" in statement for statement in sent) == 1, sent
