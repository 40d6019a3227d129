"""A cold public process's first cache misses, read on a plain asyncpg connection.

Importing SQLAlchemy (its core, the asyncio extension and the ORM it pulls in, the asyncpg
dialect) is ~180 ms of a cold start on this project's machines, the largest part of a public
Lambda's cold start that misses the cache (issue 23: ~2x a FastAPI+Mangum+asyncpg process
answering the same query). A route whose build reads only statements compiled ahead of time
(`courtside.compiled_statements`, from named `courtside.prepared.Prepared` statements) can be
answered without it: `read` runs the build on a `DriverConnection`, one asyncpg connection
opened with the engine's own arguments (`connect_arguments`: search path, statement timeout,
TLS, connect timeout). Nothing of SQLAlchemy is imported on that path.

**Only before the database layer loads, and only where it is the same read.** `read` answers
`NOT_READ` (the caller then reads through `courtside.db` / `courtside.read_replica` as
before) unless `DB_DRIVER_READS` is on (the stacks set it on the public service's functions
when no read replica serves it), the database is PostgreSQL on asyncpg with a plain URL, no
read replica, RDS Proxy, statement echo or tracing is configured (each of those is the
engine's), the connection is not busy, and the engine has not been built. When the engine
is built (`courtside.db.use_engine`, `use_connection`) the connection is closed (`release`)
and this path is off for the process: it never holds two connections for long.

**Failures are the full layer's to handle.** A connection that cannot be opened (down,
refusing, a password rotated since the secret was read) turns this path off for the process
and the read goes through the engine, which handles it as always (a retry, the credentials
refreshed, a 503 with `Retry-After`). A connection lost during a statement is closed and the
read is built again through the engine (reads only: building twice changes nothing). An
error the server answered (a statement timeout, a data error) is raised as
`courtside.prepared.fetch` raises it, so `courtside.errors` answers it as before. What this
path can add to a request's wait is one connect timeout (the server unreachable) or the
statement's client-side backstop (the network cut during a statement) before the engine's
own attempt, which then fails at its connect: within `DatabaseSettings.longest_wait_seconds`
plus a connect timeout, once per process.

The engine's statement listeners (statement counts, tracing's spans) do not see the
statements sent here: tracing turns this path off, and the tests that count statements run
without `DB_DRIVER_READS`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import unquote, urlsplit

from courtside import tracing
from courtside.settings import DatabaseSettings, get_database_settings

if TYPE_CHECKING:
    from asyncpg import Connection

T = TypeVar("T")


class NotReadType:
    """The answer of `read` when it did not read: the caller reads through the engine."""

    def __repr__(self) -> str:
        return "NOT_READ"


NOT_READ: Final = NotReadType()


class NeedsDatabaseLayer(Exception):
    """A build asked for what only the engine gives (a statement not compiled ahead, a lost
    connection): `read` answers `NOT_READ` and the read runs through the engine."""


class DriverConnection:
    """What a build reads with on this path: named statements only
    (`courtside.prepared.fetch` sends them on `driver`)."""

    def __init__(self, driver: Connection) -> None:
        self.driver = driver

    def __getattr__(self, name: str) -> Any:
        """Anything of SQLAlchemy's connection (`execute`, `scalar`, ...) is the engine's: a
        build that asks for it is read there (`NOT_READ`), never answered with an error.
        (Python's own probes, `__...__`, get the usual AttributeError.)"""
        if name.startswith("__"):
            raise AttributeError(name)
        raise NeedsDatabaseLayer(f"{name!r} needs the engine")


def connect_arguments(settings: DatabaseSettings, *, bounded: bool = True) -> dict[str, Any]:
    """asyncpg's connect arguments of a connection of ours (the engine's `connect_args`)."""
    statement_timeout_ms = int(settings.db_statement_timeout_seconds * 1000) if bounded else 0
    return {
        "server_settings": {
            "search_path": f"{settings.db_schema},public",
            "statement_timeout": str(statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(statement_timeout_ms * 6),
        },
        "timeout": settings.db_connect_timeout_seconds,
        # The client-side backstop (the server cancels at statement_timeout first).
        "command_timeout": settings.db_statement_timeout_seconds + 1 if bounded else None,
        "ssl": settings.effective_ssl_mode,
    }


def plain_url_arguments(url: str) -> dict[str, Any] | None:
    """host, port, user, password and database of a `postgresql+asyncpg://` URL without query
    parameters or several hosts (as the dialect hands them to asyncpg); None for any other
    URL, which only the dialect reads."""
    scheme, _, _ = url.partition("://")
    parts = urlsplit(url)
    if scheme != "postgresql+asyncpg" or parts.query or parts.fragment or "," in parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    database = unquote(parts.path.removeprefix("/"))
    arguments: dict[str, Any] = {  # an empty part is left out, as the dialect leaves it
        "host": unquote(parts.hostname or ""),
        "port": port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "database": database,
    }
    return {name: value for name, value in arguments.items() if value}


class _State:
    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.opened_at = 0.0
        self.busy = False
        self.off = False


_state = _State()


def release() -> None:
    """The engine is built: close this path's connection and stop using it (`courtside.db`)."""
    _state.off = True
    _drop()


def reset() -> None:
    """Back to a process that has read nothing (tests)."""
    _drop()
    _state.off = False
    _state.busy = False


def _drop() -> None:
    """Close the connection without waiting for I/O. A read still running on it (`release`
    from a concurrent request) fails without a SQLSTATE and is read again by the engine."""
    connection, _state.connection = _state.connection, None
    if connection is not None and not connection.is_closed():
        with suppress(RuntimeError):  # its event loop is closed (a script's `asyncio.run`)
            connection.terminate()


def _available(settings: DatabaseSettings) -> bool:
    return (
        settings.db_driver_reads
        and not _state.off
        and not _state.busy
        and not settings.database_use_proxy
        and not settings.db_echo
        and not tracing.enabled()
    )


async def _connection(settings: DatabaseSettings) -> Connection | None:
    """The open connection, renewed past `DB_POOL_RECYCLE_SECONDS` or when the server closed
    it; None (and this path off) when the URL is not a plain one, a replica is configured or
    no connection can be opened."""
    connection = _state.connection
    if connection is not None:
        age = time.monotonic() - _state.opened_at
        if not connection.is_closed() and age < settings.db_pool_recycle_seconds:
            return connection
        _drop()
    # lazy: the replica's settings and the driver load on the first miss
    from courtside.replica_settings import get_replica_settings

    url = _database_url(settings)
    arguments = plain_url_arguments(url)
    if arguments is None or get_replica_settings().configured:
        _state.off = True
        return None
    import asyncpg  # lazy: the driver loads on the first miss, as the engine loads it

    try:
        connection = await asyncpg.connect(**arguments, **connect_arguments(settings))
    except Exception:
        _state.off = True  # the engine handles it: retries, refreshed credentials, a 503
        return None
    if _state.off:  # the engine was built while this connected (a concurrent request's miss)
        connection.terminate()
        return None
    _state.connection, _state.opened_at = connection, time.monotonic()
    return connection


def _database_url(settings: DatabaseSettings) -> str:
    if settings.database_secret_arn:
        # lazy: Secrets Manager's client only where the password lives there (AWS)
        from courtside.aws_secrets import database_url_from_secret

        return database_url_from_secret(settings)
    return settings.database_url


async def read(build: Callable[[DriverConnection], Awaitable[T]]) -> T | NotReadType:
    """`build`'s result read on this path's connection, or `NOT_READ` (see the module
    docstring); errors the server answered are raised."""
    settings = get_database_settings()
    if not _available(settings):
        return NOT_READ
    _state.busy = True
    try:
        connection = await _connection(settings)
        if connection is None:
            return NOT_READ
        try:
            return await build(DriverConnection(connection))
        except NeedsDatabaseLayer:
            if connection.is_closed():
                _drop()
            return NOT_READ
    finally:
        _state.busy = False
