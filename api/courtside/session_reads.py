"""A GET's plain column reads send no BEGIN on PostgreSQL (issue 23).

A page's request session (`db.get_session`) began a transaction before its first statement
and rolled it back at its close: BEGIN and ROLLBACK, two of a signed-in page's six to eight
round trips (PostgreSQL and Redis), around reads that need neither. Under READ COMMITTED, the
level of every session here, each statement takes its own snapshot in a transaction or not,
and the public API's reads have run in autocommit since round 2 (`db.EngineReads`).

Opt-in, statement by statement: only the reads `services.page_reads.read_columns` sends (a
SELECT of columns: no entity, no lock, no write, nothing pending to flush) and only on the
session of a GET or HEAD on an asyncpg engine (`db.get_session` marks it; never on a test's
shared connection). Such a read runs with asyncpg's adapter in `autocommit` for that one
statement (the flag `db.EngineReads` sets; no I/O), put back to the default right after,
whatever happens:

- no transaction open on the connection yet: the read runs alone, no BEGIN is sent, and the
  close sends no ROLLBACK unless some other statement began a transaction;
- one already open (an ORM read, a write, a lock, a savepoint before it): the read runs in
  it, as before (the adapter begins only when it has no transaction).

Every other statement takes the usual path, BEGIN first: the ORM's reads and writes, locks
(`SELECT ... FOR UPDATE`, advisory locks), savepoints, text SQL, a unit of work's work. An
earlier version switched autocommit on for the whole session and tried to catch every write
and lock on the way; a review found savepoints, text SQL and advisory locks it missed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

READS_IN_AUTOCOMMIT = "courtside.reads_in_autocommit"
"""`Session.info` key: the session's plain column reads may skip BEGIN."""


def read_in_autocommit(session: AsyncSession) -> None:
    """Let `session` (a GET's, on asyncpg) send its plain column reads without BEGIN."""
    session.info[READS_IN_AUTOCOMMIT] = True


def reads_in_autocommit(session: AsyncSession) -> bool:
    return bool(session.info.get(READS_IN_AUTOCOMMIT))


async def read_alone(
    connection: AsyncConnection, statement: Executable, params: Mapping[str, Any]
) -> Result[Any]:
    """`statement`, a plain column SELECT, on `connection` without BEGIN if no transaction
    is open on it (inside the open one otherwise); the adapter's flag put back after.

    Put back to False, the pool's default, not to what it was: a session's connection is
    never in autocommit otherwise, and two reads overlapping on one session (nothing does
    that; a session is not for concurrent use) would otherwise restore each other's True.
    Every session here is READ COMMITTED: under REPEATABLE READ a first read sent this way
    would not share the transaction's snapshot."""
    sync = connection.sync_connection
    assert sync is not None  # the session's connection, started
    adapter: Any = sync.connection.dbapi_connection
    adapter.autocommit = True
    try:
        return await connection.execute(statement, params)
    finally:
        adapter.autocommit = False
