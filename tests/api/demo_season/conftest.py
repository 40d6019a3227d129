"""The demo season, loaded once for the tests that read it.

Each of these tests used to load the demo season (1,230 games, 20,655 odds snapshots, through
the ingestion service) into its own rolled-back transaction: eleven loads of ~3 s of CPU a run
with coverage. Here it is loaded once per dialect, into a connection whose outer transaction
is never committed, and each test runs in a savepoint of it that is rolled back afterwards
(`connection` below replaces the harness's): every test still starts from the same season,
with nothing another test wrote.

The fixtures are package-scoped, so pytest rolls the season back and closes the connections as
soon as the next test is outside this directory: an open transaction holding the season's rows
would otherwise block the next tests' inserts of the same teams on PostgreSQL and lock the
SQLite file. This directory is one work unit of `tests.distribution`, so one worker loads the
season, once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from courtside import db
from tests.api.demo_season.season import Seasons


@pytest.fixture(scope="package")
async def seasons(engines: dict[str, AsyncEngine]) -> AsyncIterator[Seasons]:
    held = Seasons(engines)
    yield held
    await held.close()


@pytest.fixture
async def connection(
    seasons: Seasons, engine: AsyncEngine, dialect: str
) -> AsyncIterator[AsyncConnection]:
    """The dialect's season connection, in a savepoint rolled back after the test."""
    conn = await seasons.connection(dialect)
    savepoint = await conn.begin_nested()
    db.use_connection(conn)
    try:
        yield conn
    finally:
        if savepoint.is_active:
            await savepoint.rollback()
        db.use_engine(engine)
