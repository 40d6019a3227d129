"""`courtside.prepared`: statements compiled once, sent on the driver's connection on
PostgreSQL, through SQLAlchemy elsewhere; the same rows either way, every statement seen by
the engine's listeners, errors with the meaning SQLAlchemy gives them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Integer, String, bindparam, cast, event, func, literal_column, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from courtside import db
from courtside.prepared import Prepared, fetch
from courtside.services.league_rows import TEAM_COLUMNS, teams
from tests.helpers import both_dialects, make_teams

TEAMS = Prepared(
    lambda: (
        select(*TEAM_COLUMNS, literal_column("'x'"))
        .where(teams.c.conference == bindparam("conference"))
        .order_by(teams.c.abbreviation)
        .limit(bindparam("limit"))
    )
)
AS_INTEGER = Prepared(lambda: select(cast(bindparam("value", type_=String), Integer)))
SLEEP = Prepared(lambda: select(func.pg_sleep(bindparam("seconds"))))


@contextmanager
def sent(engine: AsyncEngine) -> Iterator[list[tuple[str, object]]]:
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    def finished(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append(("finished", statement))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    event.listen(engine.sync_engine, "after_cursor_execute", finished)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        event.remove(engine.sync_engine, "after_cursor_execute", finished)


@pytest.fixture
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read connection as `db.read` gives one (autocommit on PostgreSQL)."""
    async with db.EngineReads(engine).connect() as connection:
        yield connection


@both_dialects
async def test_the_same_rows_as_sqlalchemy_and_every_statement_seen(
    engine, connection, session, dialect
):
    await make_teams(session)
    await session.flush()
    expected = (await connection.execute(TEAMS.statement, {"conference": "East", "limit": 1})).all()
    with sent(engine) as statements:
        rows = await fetch(connection, TEAMS, conference="East", limit=1)
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert len(rows) == 1 and rows[0][-1] == "x"
    assert len(statements) == 2  # before and after
    if dialect == "postgres":  # the compiled SQL, its parameters in order, on the driver
        assert type(rows[0]).__module__.startswith("asyncpg")
        sql = TEAMS.compiled(connection.dialect).sql
        assert statements == [(sql, ("East", 1)), ("finished", sql)]


async def test_compiled_once_per_dialect(connection):
    compiled = TEAMS.compiled(connection.dialect)
    assert TEAMS.compiled(connection.dialect) is compiled
    assert compiled.names == ("conference", "limit")


async def test_a_session_reads_through_sqlalchemy(session):
    await make_teams(session)
    rows = await fetch(session, TEAMS, conference="West", limit=2)
    assert len(rows) == 2 and not type(rows[0]).__module__.startswith("asyncpg")


async def test_a_data_error_is_sqlalchemys_data_error(engine, autocommit):
    with sent(engine) as statements, pytest.raises(sa_exc.DataError) as raised:
        await fetch(autocommit, AS_INTEGER, value="not a number")
    assert getattr(raised.value.orig, "sqlstate", None) == "22P02"
    assert len(statements) == 1  # the server answered: not sent again (and not finished)


async def test_a_statement_timeout_is_a_database_error_sent_once(engine, autocommit):
    await autocommit.exec_driver_sql("SET statement_timeout = 50")
    try:
        with sent(engine) as statements, pytest.raises(sa_exc.DBAPIError) as raised:
            await fetch(autocommit, SLEEP, seconds=5)
    finally:
        await autocommit.exec_driver_sql("RESET statement_timeout")
    assert getattr(raised.value.orig, "sqlstate", None) == "57014"
    assert len(statements) == 1


async def test_a_connection_killed_under_a_read_is_retried_on_a_fresh_one(engine):
    """The backend of the read connection is terminated just before the statement: the
    driver's connection fails, SQLAlchemy's execution of the same statement marks the
    connection invalid, and `db.read` answers from a fresh one."""
    reads = db.EngineReads(engine)
    backends: list[int] = []

    async def work(connection: AsyncConnection) -> int:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        backends.append(driver.get_server_pid())
        if len(backends) == 1:
            async with engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backends[0]})
        rows = await fetch(connection, AS_INTEGER, value="7")
        return int(rows[0][0])

    with sent(engine) as statements:
        assert await db.read(work, source=reads) == 7
    assert len(backends) == 2 and backends[0] != backends[1]
    assert len(statements) >= 2
