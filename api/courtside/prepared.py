"""Statements built and compiled once, and public reads sent on the driver's connection.

A public cache miss used to build its Core statement, have SQLAlchemy look up (or compile)
its SQL, execute it through the asyncio adapter (a greenlet hop per statement, a cursor, a
result with a processor per column) and read the rows by name. Issue 23 measured that at
2-3x raw asyncpg sending the same SQL. A `Prepared` statement is built once (on first use,
never at import) with named bind parameters, and its SQL is compiled once per dialect with
the order of its parameters; `fetch` then sends it:

- **on PostgreSQL (asyncpg)**: straight to the driver's connection of the read connection
  (`asyncpg.Connection.fetch`, which prepares it once per connection), no greenlet hop, and
  returns asyncpg's records as they are. The engine's `before_cursor_execute` and
  `after_cursor_execute` listeners still see every statement (the statement counts of
  `tests/api/league/test_round_trips.py`, the query-plan tests, tracing's spans).
- **on SQLite, or through an `AsyncSession`**: through SQLAlchemy, the same statement with
  the same parameters. (A signed-in page's statements that select columns only are sent on
  the session's connection, `page_reads.read_prepared`, and so on the driver's too; there a
  failed connection is not resent, see `fetch`.)

Either way the rows are read **by position** (an asyncpg record and a SQLAlchemy row both
index that way), in the order of the statement's columns.

**Errors keep their meaning.** An error the server answered (it has a SQLSTATE: a statement
timeout, a data error, a recovery conflict) is wrapped in a `sqlalchemy.exc.DBAPIError`
(`DBAPIError.instance`: the subclass named in the driver's class hierarchy, `DataError` for
SQLSTATE class 22, where SQLAlchemy's adapter raises the base class), so `courtside.errors`
answers it as before (by SQLSTATE: a timeout 503, a data error 422) and `read_replica`
counts it as the replica's failure. A failure of the connection itself (closed,
half-closed: no SQLSTATE) sends the statement again through SQLAlchemy on the same
connection, whose own handling then applies as before: the connection is invalidated and
`db.read` retries once on a fresh one. Reads only: sending one twice changes nothing.
(With tracing on, a statement that failed on the driver's connection ends its span at the
connection's next statement, as an interrupted one.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import Compiled

Executor = AsyncConnection | AsyncSession


class Prepared:
    """A statement built once by `build()` (on first use), compiled once per dialect."""

    def __init__(self, build: Callable[[], ClauseElement]) -> None:
        self._build = build
        self._statement: ClauseElement | None = None
        self._compiled: dict[str, _Compiled] = {}

    @property
    def statement(self) -> Any:
        if self._statement is None:
            self._statement = self._build()
        return self._statement

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled(
                self.statement.compile(dialect=dialect)
            )
        return compiled


class _Compiled:
    """The SQL of one dialect, its positional parameters' names, their fixed values (the
    literals in the statement) and the type conversions some of them need."""

    def __init__(self, compiled: Compiled) -> None:
        self.sql = compiled.string
        names = tuple(getattr(compiled, "positiontup", None) or ())
        binds = getattr(compiled, "binds", {})
        self.names = names
        self.fixed = {name: binds[name].effective_value for name in names}
        self.processors = dict(getattr(compiled, "_bind_processors", {}))

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.fixed[name]
            process = self.processors.get(name)
            values.append(value if process is None else process(value))
        return tuple(values)


async def fetch(
    executor: Executor, prepared: Prepared, *, resend: bool = True, **params: Any
) -> Sequence[Any]:
    """The rows of `prepared` with `params` (by position), on the driver's connection when
    it is asyncpg's; see the module docstring. `resend=False` (a session's connection,
    `page_reads.read_prepared`) sends the statement again through SQLAlchemy only when the
    connection is closed: a client-side timeout or a half-closed connection is raised as the
    driver raised it (a 503, `courtside.errors`), not sent twice into a transaction that the
    failure may have aborted."""
    if isinstance(executor, AsyncSession) or executor.dialect.driver != "asyncpg":
        return (await executor.execute(prepared.statement, params)).all()
    sync = executor.sync_connection
    assert sync is not None  # an AsyncConnection in use has started
    compiled = prepared.compiled(executor.dialect)
    arguments = compiled.arguments(params)
    dispatch = sync.dispatch
    for listener in dispatch.before_cursor_execute:
        listener(sync, None, compiled.sql, arguments, None, False)
    try:
        driver: Any = sync.connection.driver_connection
        rows: Sequence[Any] = await driver.fetch(compiled.sql, *arguments)
    except Exception as error:
        if getattr(error, "sqlstate", None) and not driver.is_closed():  # the server answered
            raise exc.DBAPIError.instance(compiled.sql, arguments, error, Exception) from error
        if not resend and not driver.is_closed():
            raise
        # the connection failed: SQLAlchemy's own handling (invalidation, `db.read`'s retry)
        return (await executor.execute(prepared.statement, params)).all()
    for after in dispatch.after_cursor_execute:
        after(sync, None, compiled.sql, arguments, None, False)
    return rows
