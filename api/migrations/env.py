"""Alembic environment: runs on the app's async engine, on PostgreSQL and SQLite.

On PostgreSQL the run holds a session-level advisory lock from before it creates
`DB_SCHEMA` (if missing) until after the last migration, so two deploys migrating at once are
serialised. Session-level, not transaction-level: a migration that must run outside a
transaction (`op.get_context().autocommit_block()`, e.g. CREATE INDEX CONCURRENTLY) keeps it.

On SQLite foreign keys are off while the migrations run (`PRAGMA foreign_keys` cannot change
inside a transaction, so it is set on the raw connection first): a batch migration recreates
a table by dropping it, and dropping a referenced table with foreign keys on would run its
ON DELETE CASCADE actions (the users table's wallets and bets). The references are checked
(`PRAGMA foreign_key_check`) before the commit instead; a violation fails the migration.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.db import build_engine
from courtside.models import Base, UTCDateTime
from courtside.settings import get_database_settings

MIGRATION_LOCK_KEY = 7_362_210_001

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate writes plain SQLAlchemy types, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        if is_sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


async def _sqlite_foreign_keys(connection: AsyncConnection, *, on: bool) -> None:
    """Set `PRAGMA foreign_keys` outside any transaction (inside one it is ignored)."""
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


async def _run_online() -> None:
    settings = get_database_settings()
    url = config.get_main_option("sqlalchemy.url") or None
    engine = build_engine(settings, url=url, bounded=False)
    try:
        async with engine.connect() as connection:
            postgres = connection.dialect.name != "sqlite"
            if postgres:
                lock = {"key": MIGRATION_LOCK_KEY}
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
                await connection.execute(
                    text(f'CREATE SCHEMA IF NOT EXISTS "{settings.db_schema}"')
                )
                await connection.commit()
            else:
                await _sqlite_foreign_keys(connection, on=False)
            try:
                await connection.run_sync(_run)
                await connection.commit()
            finally:
                if postgres:
                    await connection.rollback()
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
                    await connection.commit()
                else:
                    await connection.rollback()
                    await _sqlite_foreign_keys(connection, on=True)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
asyncio.run(_run_online())
