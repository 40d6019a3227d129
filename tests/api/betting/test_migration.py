"""Migration 0003 upgrades and downgrades cleanly on both dialects."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from courtside.migrate import downgrade, upgrade
from tests.conftest import SERVER_URL, admin_sql


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SET search_path TO mart, public"))
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def _round_trip(url: str) -> None:
    upgrade(url, "0003")
    assert {"bets", "wallets"} <= asyncio.run(_tables(url))
    downgrade(url, "0002")
    tables = asyncio.run(_tables(url))
    assert "bets" not in tables
    assert "wallets" not in tables
    assert "rest_api_users" in tables
    upgrade(url, "0003")
    assert {"bets", "wallets"} <= asyncio.run(_tables(url))


def test_round_trip_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")


def test_round_trip_on_postgres() -> None:
    name = f"courtside_mig_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
