"""Migrations run up and down on both dialects, and leave the schema the models describe."""

import asyncio
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from courtside.migrate import downgrade, head_revision, upgrade
from courtside.models import Base
from courtside.models.league import POSTGRES_ONLY_INDEXES
from tests.conftest import SERVER_URL, admin_sql


@pytest.fixture(params=["postgres", "sqlite"])
def scratch_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"courtside_migrations_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _modelled(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)


def _inspect(url: str):
    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SET search_path TO mart, public"))

                def collect(sync_conn):
                    inspector = inspect(sync_conn)
                    schema = "mart" if sync_conn.dialect.name == "postgresql" else None
                    tables = set(inspector.get_table_names(schema=schema))
                    context = MigrationContext.configure(
                        sync_conn, opts={"include_object": _modelled}
                    )
                    diff = compare_metadata(context, Base.metadata) if tables else []
                    version = (
                        sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                        if "alembic_version" in tables
                        else None
                    )
                    return tables, diff, version

                return await conn.run_sync(collect)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_downgrade_upgrade(scratch_url):
    upgrade(scratch_url)
    tables, diff, version = _inspect(scratch_url)
    assert {"teams", "games", "odds_snapshots", "rest_api_users", "audit_events"} <= tables
    assert version == head_revision()
    assert diff == [], f"models and migrations disagree: {diff}"
    downgrade(scratch_url, "base")
    tables, _, version = _inspect(scratch_url)
    assert tables <= {"alembic_version"}
    upgrade(scratch_url)
    assert _inspect(scratch_url)[2] == head_revision()


def test_tables_live_in_the_configured_schema_on_postgres(postgres_url):
    async def run():
        engine = create_async_engine(postgres_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT table_schema FROM information_schema.tables "
                        "WHERE table_name = 'rest_api_users'"
                    )
                )
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == ["mart"]


@pytest.fixture
def empty_postgres_url():
    name = f"courtside_concurrent_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_concurrent_deploys_migrate_one_after_the_other(empty_postgres_url):
    """Three migration runs at once, as separate processes (two deploys and an operator): the
    advisory lock serialises them, so all succeed and the schema ends at head. Without it they
    race on CREATE SCHEMA / CREATE TABLE and all but one fail."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    api_dir = Path(__file__).resolve().parents[3] / "api"
    env = {**os.environ, "DATABASE_URL": empty_postgres_url, "PYTHONPATH": str(api_dir)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "courtside", "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert _inspect(empty_postgres_url)[2] == head_revision()


def test_the_shared_email_migration_keeps_every_account_and_what_hangs_off_it(scratch_url):
    """0012 recreates the users table on SQLite (batch mode): its wallets, bets' owners and
    revocations must survive (with foreign keys on, the drop would cascade into them), and
    afterwards two accounts may share an address."""
    upgrade(scratch_url, "0011_live_game_state")
    insert_user = (
        "INSERT INTO rest_api_users (id, username, email, password_hash, role, is_active, "
        "token_version, password_reset_required, created_at, updated_at, leaderboard_opt_in, "
        "email_notifications) VALUES ({id}, '{name}', '{email}', 'x', 'Consumer', true, 0, "
        "false, '2026-01-01', '2026-01-01', false, false)"
    )

    async def run(*statements: str) -> list[tuple[object, ...]]:
        engine = create_async_engine(scratch_url)
        try:
            async with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SET search_path TO mart, public"))
                rows: list[tuple[object, ...]] = []
                for statement in statements:
                    result = await conn.execute(text(statement))
                    if result.returns_rows:
                        rows = [tuple(row) for row in result]
                return rows
        finally:
            await engine.dispose()

    asyncio.run(
        run(
            insert_user.format(id=1, name="first", email="shared@example.test"),
            "INSERT INTO wallets (user_id, balance_cents, starting_cents, created_at, updated_at) "
            "VALUES (1, 12345, 100000, '2026-01-01', '2026-01-01')",
            "INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) "
            "VALUES ('j1', 1, '2027-01-01', '2026-01-01')",
        )
    )
    upgrade(scratch_url)
    assert _inspect(scratch_url)[1] == []
    rows = asyncio.run(
        run(
            insert_user.format(id=2, name="second", email="shared@example.test"),
            "SELECT (SELECT count(*) FROM rest_api_users WHERE email = 'shared@example.test'), "
            "(SELECT balance_cents FROM wallets WHERE user_id = 1), "
            "(SELECT count(*) FROM revoked_tokens WHERE user_id = 1)",
        )
    )
    assert rows == [(2, 12345, 1)]
