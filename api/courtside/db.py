"""The async database layer: one engine per process, sessions per request.

PostgreSQL connections put `DB_SCHEMA` first on the `search_path`, so our tables live
in that schema (default `mart`) while the SQL stays schema-free and runs on SQLite too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from courtside.settings import DatabaseSettings, get_database_settings

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def database_url(settings: DatabaseSettings) -> str:
    """The URL to connect to; on Lambda it is assembled from the RDS secret."""
    if settings.database_secret_arn:
        from courtside.aws_secrets import database_url_from_secret

        return database_url_from_secret(settings)
    return settings.database_url


def build_engine(settings: DatabaseSettings, *, url: str | None = None) -> AsyncEngine:
    """An engine tuned for where it runs: small pool with pre-ping, or NullPool behind RDS Proxy."""
    url = url or database_url(settings)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs["connect_args"] = {
        "server_settings": {"search_path": f"{settings.db_schema},public"},
        "timeout": settings.db_connect_timeout_seconds,
        "command_timeout": 30,
        "ssl": settings.effective_ssl_mode,
    }
    if settings.database_use_proxy:
        kwargs["poolclass"] = NullPool
    else:
        kwargs.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
            pool_recycle=settings.db_pool_recycle_seconds,
        )
    engine = create_async_engine(url, **kwargs)
    if settings.database_secret_arn:
        from courtside.aws_secrets import refresh_credentials_on_auth_failure

        refresh_credentials_on_auth_failure(engine, settings)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Turn off the sqlite3 module's own transaction handling (SQLAlchemy emits BEGIN
    itself, see `_sqlite_begin`), so SAVEPOINTs and rollbacks behave as on PostgreSQL."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock up front: a deferred transaction that reads and then writes fails
    at once with SQLITE_BUSY under contention, instead of waiting its turn (busy_timeout)."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> AsyncEngine:
    """The process-wide engine, created on first use (never at import)."""
    global _engine, _sessionmaker
    if _engine is None:
        _engine = build_engine(get_database_settings())
        _sessionmaker = async_sessionmaker(_engine, expire_on_commit=False)
    return _engine


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    if _sessionmaker is None:
        get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


def use_engine(engine: AsyncEngine) -> None:
    """Make `engine` the process-wide engine (tests, scripts with their own URL)."""
    global _engine, _sessionmaker
    _engine = engine
    _sessionmaker = async_sessionmaker(engine, expire_on_commit=False)


def use_sessionmaker(maker: async_sessionmaker[AsyncSession]) -> None:
    """Make every session come from `maker` (tests bind it to one rolled-back connection)."""
    global _sessionmaker
    _sessionmaker = maker


async def dispose_engine() -> None:
    global _engine, _sessionmaker
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None


async def get_session() -> AsyncIterator[AsyncSession]:
    """A session per request; the service decides when to commit."""
    async with get_sessionmaker()() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
