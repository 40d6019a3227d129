"""The deploy-time migration entry point (`courtside.migrate.handler`)."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from courtside import migrate
from courtside.settings import reset_settings


@pytest.fixture
def database_url_env(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'deploy.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    yield url
    reset_settings()


def _execute(url: str, sql: str) -> None:
    async def run():
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_handler_migrates_a_new_database_to_head(database_url_env):
    assert migrate.database_revision(database_url_env) is None
    result = migrate.handler({}, None)
    assert result == {"status": "ok", "revision": migrate.head_revision()}
    assert migrate.database_revision(database_url_env) == migrate.head_revision()
    assert migrate.handler({}, None)["status"] == "ok"  # a redeploy with no new migration


def test_handler_leaves_a_database_migrated_by_a_newer_release(database_url_env):
    migrate.handler({}, None)
    _execute(database_url_env, "UPDATE alembic_version SET version_num = '9999_future'")
    result = migrate.handler({}, None)
    assert result["status"] == "ahead"
    assert result["revision"] == "9999_future"
    assert migrate.database_revision(database_url_env) == "9999_future"


def test_handler_fails_loudly_when_the_database_is_unreachable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    reset_settings()
    try:
        with pytest.raises(OSError, match="Connect call failed"):
            migrate.handler({}, None)
    finally:
        reset_settings()
