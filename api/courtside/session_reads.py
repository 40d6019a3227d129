"""A GET's session reads in autocommit until it is about to write (issue 23).

A page's request session (`db.get_session`) ran its reads in a transaction: BEGIN before its
first statement and ROLLBACK at its close, two of a signed-in page's six to eight round
trips (PostgreSQL and Redis), for nothing a read needs. Under READ COMMITTED, the level of
every session here, each statement takes its own snapshot in a transaction or not, and the
public API's reads have run in autocommit since round 2 (`db.EngineReads`).

So the session of a GET or HEAD on PostgreSQL through asyncpg reads in autocommit, until it
is about to write or lock:

- a unit of work takes it (`unit_of_work.UnitOfWork`: a GET that writes, such as the SSO
  callback or an e-mail confirmation),
- it flushes, or executes an INSERT, UPDATE, DELETE or a SELECT ... FOR UPDATE,

and from there on it is the transaction it always was: BEGIN before its next statement, the
unit of work's commit, or the close's rollback (a write with no unit of work is discarded
at the close, as before; the reads before it ran alone, as READ COMMITTED lets them).

The flag is asyncpg's adapter's (`autocommit`, as `db.EngineReads` sets it: no I/O, no
BEGIN before a statement, nothing for the close's rollback to end). It is set when the
session begins on its connection, and put back to the pool's default whenever a connection
goes back to the pool (`db.build_engine`'s `checkin` listener), whatever happened, so the
next session on that connection runs in a transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

READS_IN_AUTOCOMMIT = "courtside.reads_in_autocommit"
"""`Session.info` key: the session reads in autocommit until it writes."""


def read_in_autocommit(session: AsyncSession) -> None:
    """Let `session` (a GET's, on asyncpg) read in autocommit until it writes."""
    session.info[READS_IN_AUTOCOMMIT] = True


def write_in_a_transaction(session: AsyncSession | Session) -> None:
    """From here on `session` runs in a transaction: BEGIN before its next statement."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if sync.info.pop(READS_IN_AUTOCOMMIT, False) and sync.in_transaction():
        _adapter(sync.connection()).autocommit = False


def _adapter(connection: Connection) -> Any:
    """SQLAlchemy's asyncpg adapter under `connection` (its `autocommit` flag)."""
    return connection.connection.dbapi_connection


@event.listens_for(Session, "after_begin")
def _begin_in_autocommit(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    if session.info.get(READS_IN_AUTOCOMMIT):
        _adapter(connection).autocommit = True


@event.listens_for(Session, "before_flush")
def _flush_in_a_transaction(session: Session, _flush: UOWTransaction, _objects: object) -> None:
    write_in_a_transaction(session)


@event.listens_for(Session, "do_orm_execute")
def _write_or_lock_in_a_transaction(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete or _locks(state):
        write_in_a_transaction(state.session)


def _locks(state: ORMExecuteState) -> bool:
    """A SELECT ... FOR UPDATE / FOR SHARE: its locks must last until the transaction ends.
    (`_for_update_arg` is how a `Select` holds its `with_for_update`.)"""
    return state.is_select and getattr(state.statement, "_for_update_arg", None) is not None


def reset_on_checkin(dbapi_connection: Any, _record: Any) -> None:
    """Pool `checkin` listener: a connection goes back in the pool's default mode."""
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False
