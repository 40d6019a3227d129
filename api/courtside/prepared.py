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
- **on a cold process's plain asyncpg connection** (`courtside.driver_reads`, before the
  engine exists): a *named* statement only, from its SQL compiled ahead
  (`courtside.compiled_statements`), without SQLAlchemy; no engine listener sees it, and a
  failed connection (or a statement not compiled ahead) hands the read to the engine
  (`NeedsDatabaseLayer`).

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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from courtside.driver_reads import DriverConnection, NeedsDatabaseLayer

if TYPE_CHECKING:  # SQLAlchemy loads where a statement is built or sent through the engine,
    # never for a named statement sent on `driver_reads`'s connection
    from sqlalchemy.engine import Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
    from sqlalchemy.sql import ClauseElement
    from sqlalchemy.sql.compiler import Compiled

    Executor = AsyncConnection | AsyncSession
    ReadExecutor = AsyncConnection | DriverConnection
    """What a public read's statements are sent on: the engine's connection, or a cold
    process's first connection (`courtside.driver_reads`)."""

NAMED: dict[str, Prepared] = {}
"""Every named statement, by name: their PostgreSQL SQL is compiled ahead
(`courtside.compiled_statements`, written by `scripts/compile_statements.py`)."""


class Prepared:
    """A statement built once by `build()` (on first use), compiled once per dialect.

    A `name` files its PostgreSQL SQL in `courtside.compiled_statements`, so that a cold
    process can send it without SQLAlchemy (`courtside.driver_reads`); its parameters must
    then need no conversion by the dialect (`compiled_module_source` refuses them)."""

    def __init__(self, build: Callable[[], ClauseElement], *, name: str | None = None) -> None:
        self._build = build
        self._statement: ClauseElement | None = None
        self._compiled: dict[str, _Compiled] = {}
        self.name = name
        if name is not None:
            if name in NAMED:
                raise ValueError(f"two statements are named {name!r}")
            NAMED[name] = self

    @property
    def statement(self) -> Any:
        if self._statement is None:
            self._statement = self._build()
        return self._statement

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled.of(
                self.statement.compile(dialect=dialect)
            )
        return compiled


class _Compiled:
    """The SQL of one dialect, its positional parameters' names, their fixed values (the
    literals in the statement) and the type conversions some of them need."""

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...],
        fixed: Mapping[str, Any],
        processors: Mapping[str, Callable[[Any], Any]],
    ) -> None:
        self.sql = sql
        self.names = names
        self.fixed = fixed
        self.processors = processors

    @classmethod
    def of(cls, compiled: Compiled) -> _Compiled:
        names = tuple(getattr(compiled, "positiontup", None) or ())
        binds = getattr(compiled, "binds", {})
        fixed = {name: binds[name].effective_value for name in names}
        processors = dict(getattr(compiled, "_bind_processors", {}))
        return cls(compiled.string, names, fixed, processors)

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.fixed[name]
            process = self.processors.get(name)
            values.append(value if process is None else process(value))
        return tuple(values)


_ahead: dict[str, _Compiled] | None = None


def compiled_ahead(name: str | None) -> _Compiled | None:
    """A named statement's PostgreSQL SQL from `courtside.compiled_statements`."""
    global _ahead
    if name is None:
        return None
    if _ahead is None:
        from courtside.compiled_statements import POSTGRESQL  # lazy: on the first driver read

        _ahead = {
            key: _Compiled(sql, names, fixed, _conversions(conversions))
            for key, (sql, names, fixed, conversions) in POSTGRESQL.items()
        }
    return _ahead.get(name)


def _aware_utc(value: datetime | None) -> datetime | None:
    """`models.base.UTCDateTime`'s bind conversion on PostgreSQL (a test holds them equal)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


DRIVER_CONVERSIONS: dict[str, Callable[[Any], Any]] = {"utc": _aware_utc}
"""The bind conversions a statement compiled ahead may name, by the name its column's type
gives (`driver_conversion`): what the dialect would do, without it."""


def _conversions(names: Mapping[str, str]) -> dict[str, Callable[[Any], Any]]:
    return {parameter: DRIVER_CONVERSIONS[name] for parameter, name in names.items()}


def _server_answered(error: Exception, sql: str, arguments: Any) -> BaseException:
    """An error the server answered, as SQLAlchemy's adapter raises it (`DBAPIError`)."""
    from sqlalchemy import exc  # lazy: on this error path only

    return exc.DBAPIError.instance(sql, arguments, error, Exception)


async def _fetch_on_driver(
    connection: DriverConnection, prepared: Prepared, params: Mapping[str, Any]
) -> Sequence[Any]:
    """`fetch` on `driver_reads`'s connection: a named statement's SQL compiled ahead."""
    compiled = compiled_ahead(prepared.name)
    if compiled is None:
        raise NeedsDatabaseLayer(f"no SQL compiled ahead for {prepared.name or 'a statement'}")
    arguments = compiled.arguments(params)
    driver = connection.driver
    try:
        rows: Sequence[Any] = await driver.fetch(compiled.sql, *arguments)
    except Exception as error:
        sqlstate = str(getattr(error, "sqlstate", None) or "")
        if sqlstate and not _ends_the_connection(sqlstate) and not driver.is_closed():
            raise _server_answered(error, compiled.sql, arguments) from error
        raise NeedsDatabaseLayer("the connection failed") from error
    return rows


def _ends_the_connection(sqlstate: str) -> bool:
    """A connection exception, or the server terminating the backend (an administrator's
    `pg_terminate_backend`, a shutdown, a crash): the connection is over, not the read."""
    return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")


async def fetch(
    executor: Executor | DriverConnection, prepared: Prepared, *, resend: bool = True, **params: Any
) -> Sequence[Any]:
    """The rows of `prepared` with `params` (by position), on the driver's connection when
    it is asyncpg's; see the module docstring. `resend=False` (a session's connection,
    `page_reads.read_prepared`) sends the statement again through SQLAlchemy only when the
    connection is closed: a client-side timeout or a half-closed connection is raised as the
    driver raised it (a 503, `courtside.errors`), not sent twice into a transaction that the
    failure may have aborted."""
    if isinstance(executor, DriverConnection):
        return await _fetch_on_driver(executor, prepared, params)
    from sqlalchemy.ext.asyncio import AsyncSession  # lazy: loaded, the executor is SQLAlchemy's

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
            raise _server_answered(error, compiled.sql, arguments) from error
        if not resend and not driver.is_closed():
            raise
        # the connection failed: SQLAlchemy's own handling (invalidation, `db.read`'s retry)
        return (await executor.execute(prepared.statement, params)).all()
    for after in dispatch.after_cursor_execute:
        after(sync, None, compiled.sql, arguments, None, False)
    return rows


Ahead = tuple[str, tuple[str, ...], dict[str, Any], dict[str, str]]
"""A statement compiled ahead: its SQL, its parameters' names in order, their fixed values,
and the conversion (`DRIVER_CONVERSIONS`) of each parameter that has one."""


def compiled_named() -> dict[str, Ahead]:
    """Every named statement imported so far (`NAMED`), compiled for PostgreSQL on asyncpg as
    the engine compiles it: what `courtside.compiled_statements` must hold (written by
    `scripts/compile_statements.py`, which imports every module of `courtside.services`).
    A parameter the dialect converts must be of a type that names its conversion
    (`driver_conversion`, one of `DRIVER_CONVERSIONS`); anything else only the engine sends."""
    # lazy: only the script that writes the file, and its test, compile them
    from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
    from sqlalchemy.types import JSON

    dialect = asyncpg_dialect()  # type: ignore[no-untyped-call]
    statements: dict[str, Ahead] = {}
    for name in sorted(NAMED):
        statement = NAMED[name].statement
        raw = statement.compile(dialect=dialect)  # not the engine's cache
        compiled = _Compiled.of(raw)
        conversions: dict[str, str] = {
            parameter: str(getattr(raw.binds[parameter].type, "driver_conversion", ""))
            for parameter in compiled.processors
        }
        if (
            any(conversion not in DRIVER_CONVERSIONS for conversion in conversions.values())
            or "POSTCOMPILE" in compiled.sql
            or any(
                not isinstance(value, int | str | float | bool | None)
                for value in compiled.fixed.values()
            )
        ):
            raise ValueError(f"{name}: its parameters need the dialect's conversions")
        if any(isinstance(c.type, JSON) for c in getattr(statement, "selected_columns", ())):
            raise ValueError(f"{name}: a JSON column is decoded by the dialect's codecs")
        statements[name] = (compiled.sql, compiled.names, dict(compiled.fixed), conversions)
    return statements
