"""The async database layer: one engine per process, sessions for writes, connections for reads.

PostgreSQL connections put `DB_SCHEMA` first on the `search_path`, so our tables live in that
schema (default `mart`) while the SQL stays schema-free and runs on SQLite too.

**Every wait is bounded** (`DatabaseSettings`): a pooled connection (`DB_POOL_TIMEOUT_SECONDS`),
a new one (`DB_CONNECT_TIMEOUT_SECONDS`), a statement, lock waits included
(`DB_STATEMENT_TIMEOUT_SECONDS`: PostgreSQL's `statement_timeout`, SQLite's busy timeout).
Whatever exceeds them, and a database that is down, restarting or refusing connections, is
a 503 with `Retry-After` (`courtside.errors`).

**No ping per checkout.** A pre-ping costs a round trip on every request. Instead a pooled
connection the server already closed is dropped at checkout (the driver knows, no round
trip), and a read that still meets a dead connection is retried once on a fresh one
(`read`). Reads run in autocommit on PostgreSQL: no BEGIN and ROLLBACK around a SELECT.

**Where reads connect** is a `ReadSource`: the engine's pool (`EngineReads`, also what
`courtside.read_replica` uses for the replica), or one connection every read shares
(`ConnectionReads`: a test's rolled-back transaction, `use_connection`). The read path
itself does not know which one it has.

**A writer that turned read-only** (a failover moved the endpoint while pooled connections
still reach the old, now read-only, server: SQLSTATE 25006) is a disconnect: the pool is
dropped, the request gets the 503, and the next one connects to wherever the endpoint
points now (`_read_only_writer_is_disconnect`).

**A request's session is closed after its response has started** (`get_session`), so that
close must never raise: a connection that died after the last query (killed, restarted)
fails the close's rollback, and an error there would abort the client's connection mid
keep-alive. The session is then invalidated instead (its connection is discarded, never
pooled again) and the event is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Request
from sqlalchemy import event, exc
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from courtside import driver_reads, tracing
from courtside.session_reads import read_in_autocommit
from courtside.settings import DatabaseSettings, get_database_settings

T = TypeVar("T")

logger = logging.getLogger(__name__)

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_gets_read_in_autocommit = False
"""Whether a GET's plain column reads skip BEGIN (`session_reads`): on an asyncpg engine's
pool, never on a test's shared connection (`use_connection`), whose transaction they are in."""
SAFE_METHODS = frozenset({"GET", "HEAD"})

READ_ONLY = "courtside_read_only"
"""Execution option of read connections (SQLite then takes no write lock)."""
READ_ONLY_SQL_TRANSACTION = "25006"
"""SQLSTATE of a write sent to a server in recovery (a replica, a demoted writer)."""


class ReadSource(Protocol):
    """Where `read` takes its connection."""

    @property
    def sqlite_file(self) -> str | None:
        """The SQLite file behind these reads, when a reader may open it directly."""

    def connect(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for one read (autocommit on PostgreSQL)."""

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`work(connection)` on a connection as `connect` gives one."""


class EngineReads:
    """Reads on a connection of `engine`'s pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._asyncpg = self._postgresql and engine.dialect.driver == "asyncpg"
        options = {"isolation_level": "AUTOCOMMIT"} if self._postgresql else {READ_ONLY: True}
        self._reads = engine if self._asyncpg else engine.execution_options(**options)
        """The same pool, its connections set for reads as they are checked out (on SQLite a
        deferred BEGIN). On asyncpg the plain engine: `connect` puts the driver's connection
        in autocommit itself (see there)."""

    @property
    def sqlite_file(self) -> str | None:
        engine = self.engine
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None
        return engine.url.database

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        if not self._postgresql:
            async with self._reads.connect() as connection:
                yield connection
            return
        # `async with` would close it in a shielded task (two more turns of the event loop
        # per read). An autocommit connection's close does no I/O (no transaction to roll
        # back), so it completes without yielding and a cancellation cannot cut it short.
        connection, adapter = await self._check_out()
        try:
            yield connection
        finally:
            await self._give_back(connection, adapter)

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """As `async with self.connect()`, without the context manager's generator and its
        wrapper (~14 k instructions a read, issue 23)."""
        if not self._postgresql:
            async with self._reads.connect() as connection:
                return await work(connection)
        connection, adapter = await self._check_out()
        try:
            return await work(connection)
        finally:
            await self._give_back(connection, adapter)

    async def _check_out(self) -> tuple[AsyncConnection, Any]:
        """A PostgreSQL read connection, in autocommit, and asyncpg's adapter when it was put
        in autocommit here (None: the execution option did it)."""
        connection = await self._reads.connect().start()
        if not self._asyncpg:
            return connection, None
        # Autocommit on asyncpg's adapter, not as SQLAlchemy's isolation-level execution
        # option: that one sets and resets the connection's characteristics on every
        # check-out and return (~55 k instructions a read, issue 23). The adapter's flag is
        # all the option changes on asyncpg (no BEGIN before a statement; its rollback has no
        # transaction to end), and setting it does no I/O. It is put back to the pool's
        # default before the connection goes back, whatever `work` did, so a writer's session
        # never gets it in autocommit. The `autocommit` setter is SQLAlchemy's asyncpg adapter's,
        # not a public API: tests/api/db/test_read_autocommit.py pins what it must do (no BEGIN
        # on a read, BEGIN again on the next session) for the next SQLAlchemy upgrade.
        try:
            sync = connection.sync_connection
            assert sync is not None  # started
            adapter: Any = sync.connection.dbapi_connection
            adapter.autocommit = True
        except BaseException:
            await connection.close()
            raise
        return connection, adapter

    @staticmethod
    async def _give_back(connection: AsyncConnection, adapter: Any) -> None:
        if adapter is not None:
            adapter.autocommit = False
        await connection.close()


class ConnectionReads:
    """Every read on one connection (and in its transaction): tests that roll back."""

    sqlite_file = None
    """Its uncommitted rows are not in the file: a direct read would miss them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        yield self.connection

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        return await work(self.connection)


_reads: ReadSource | None = None
_disposers: list[Callable[[], Awaitable[None]]] = []


def database_url(settings: DatabaseSettings) -> str:
    """The URL to connect to; on Lambda it is assembled from the RDS secret."""
    if settings.database_secret_arn:
        # lazy: Secrets Manager's client (boto3) only where the password lives there (AWS)
        from courtside.aws_secrets import database_url_from_secret

        return database_url_from_secret(settings)
    return settings.database_url


def build_engine(
    settings: DatabaseSettings, *, url: str | None = None, bounded: bool = True
) -> AsyncEngine:
    """An engine tuned for where it runs: a small pool, or NullPool behind RDS Proxy.

    `bounded=False` (migrations, which may build an index or wait for another migrator's
    lock) keeps the connect and pool timeouts but sets no statement timeout.
    """
    url = url or database_url(settings)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy_timeout_ms = int(settings.db_statement_timeout_seconds * 1000)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_connect(busy_timeout_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return _traced(engine)
    kwargs["connect_args"] = driver_reads.connect_arguments(settings, bounded=bounded)
    if settings.database_use_proxy:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            pool_recycle=settings.db_pool_recycle_seconds,
        )
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "checkout", _drop_closed_connection)
    event.listen(engine.sync_engine, "handle_error", _half_closed_is_disconnect)
    event.listen(engine.sync_engine, "handle_error", _read_only_writer_is_disconnect)
    if settings.database_secret_arn:
        # lazy: Secrets Manager's client (boto3) only where the password lives there (AWS)
        from courtside.aws_secrets import refresh_credentials_on_auth_failure

        refresh_credentials_on_auth_failure(engine, settings)
    return _traced(engine)


def _traced(engine: AsyncEngine) -> AsyncEngine:
    """With tracing on, a span per statement (`courtside.tracing.database`, imported only then)."""
    if tracing.enabled():
        # lazy: OpenTelemetry is loaded only when tracing is on (cold start)
        from courtside.tracing.database import trace_statements

        trace_statements(engine)
    return engine


def _drop_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server closed (a restart, an idle timeout) is replaced at
    checkout, without a round trip: asyncpg already knows its socket is gone."""
    raw = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(raw, "is_closed", None)
    if is_closed is not None and is_closed():
        raise exc.DisconnectionError("the pooled connection was closed by the server")


def _half_closed_is_disconnect(context: ExceptionContext) -> None:
    """A backend killed while its connection sat idle sends a FATAL message and then closes
    its socket. Between the two, asyncpg does not yet call the connection closed and refuses
    every operation with "another operation is in progress" (its protocol waits for a reply
    that never comes). SQLAlchemy would keep such a connection and pool it again; mark it a
    disconnect so it is discarded (this connection only) and a read is retried on a fresh one.
    """
    error = context.original_exception
    if type(error).__name__ == "InternalClientError" and "another operation" in str(error):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def _read_only_writer_is_disconnect(context: ExceptionContext) -> None:
    """A write refused because the server is in recovery: after a failover the pooled
    connections may still reach the old writer (now a replica, or on its way down) while
    the endpoint already names the new one. Drop the whole pool (every connection was
    opened to the same address) so the next checkout connects afresh; the request that met
    it gets the 503 (`courtside.errors`), the following ones reach the new writer."""
    if _sqlstate(context.original_exception) == READ_ONLY_SQL_TRANSACTION:
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = True


def _sqlstate(error: BaseException) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def _sqlite_connect(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        """Turn off the sqlite3 module's own transaction handling (SQLAlchemy emits BEGIN
        itself, see `_sqlite_begin`), so SAVEPOINTs and rollbacks behave as on PostgreSQL."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.close()

    return connect


def _sqlite_begin(connection: Any) -> None:
    """Writers take the write lock up front: a deferred transaction that reads and then
    writes fails at once with SQLITE_BUSY under contention, instead of waiting its turn
    (busy_timeout). Reads (`read`) begin deferred and never block each other."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def get_engine() -> AsyncEngine:
    """The process-wide engine, created on first use (never at import)."""
    if _engine is None:
        use_engine(build_engine(get_database_settings()))
    assert _engine is not None
    return _engine


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    if _sessionmaker is None:
        get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


def use_engine(engine: AsyncEngine) -> None:
    """Make `engine` the process-wide engine (tests, scripts with their own URL)."""
    global _engine, _sessionmaker, _reads, _gets_read_in_autocommit
    driver_reads.release()  # the engine reads from now on: one connection, not two
    _engine = engine
    _sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    _reads = EngineReads(engine)
    _gets_read_in_autocommit = engine.dialect.driver == "asyncpg"


def use_connection(connection: AsyncConnection) -> None:
    """Run every session and read on `connection` (tests: one rolled-back transaction)."""
    global _sessionmaker, _reads, _gets_read_in_autocommit
    driver_reads.release()
    _sessionmaker = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    _reads = ConnectionReads(connection)
    _gets_read_in_autocommit = False


async def dispose_engine() -> None:
    global _engine, _sessionmaker, _reads, _gets_read_in_autocommit
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None
    _reads = None
    _gets_read_in_autocommit = False
    while _disposers:
        await _disposers.pop()()


def on_dispose(dispose: Callable[[], Awaitable[None]]) -> None:
    """Run `dispose()` with the next `dispose_engine` (an engine built next to this one: the
    replica's, `courtside.read_replica`)."""
    _disposers.append(dispose)


def writer_reads() -> ReadSource:
    """Where reads on the writer connect (the process engine's pool, unless replaced)."""
    if _reads is None:
        get_engine()
    assert _reads is not None
    return _reads


def sqlite_file() -> str | None:
    """The file of the process's engine when it is SQLite, for a read that skips the async
    driver (`cache_versions`); None for PostgreSQL, an in-memory database, or while reads
    share one connection (`use_connection`)."""
    return writer_reads().sqlite_file


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; its unit of work (or nobody, for a read) commits. A GET's or
    HEAD's plain column reads send no BEGIN on PostgreSQL (`session_reads`).

    FastAPI closes it after the response has started: see `close_quietly`.
    """
    session = get_sessionmaker()()
    if _gets_read_in_autocommit and request.method in SAFE_METHODS:
        read_in_autocommit(session)
    try:
        yield session
    finally:
        await close_quietly(session)


async def close_quietly(session: AsyncSession) -> None:
    """Close `session`; if that fails (its connection died, so the rollback cannot run),
    invalidate it instead: the connection is discarded, nothing was committed, nothing
    raises. The answer the client is getting is already complete and stays so."""
    try:
        await session.close()
    except Exception as error:
        logger.warning(
            "discarding a database connection that failed while the session closed: %s",
            _first_line(error),
        )
        try:
            await session.invalidate()
        except Exception as again:
            logger.warning("invalidating the session failed too: %s", _first_line(again))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def read(
    work: Callable[[AsyncConnection], Awaitable[T]], *, source: ReadSource | None = None
) -> T:
    """`work(connection)` on a read connection of `source` (default: the writer): autocommit
    on PostgreSQL (no BEGIN/ROLLBACK round trips), a deferred read transaction on SQLite.
    `work` must only read: it is run a second time, on a fresh connection, if the first one
    turns out to be dead."""
    source = source or writer_reads()
    try:
        return await source.run(work)
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return await source.run(work)
