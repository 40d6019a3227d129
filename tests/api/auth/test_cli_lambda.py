"""Operator commands on Lambda (`courtside.cli.handler`) and generated one-time passwords."""

import asyncio
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from courtside import cli, db
from courtside.migrate import upgrade
from courtside.models import User
from courtside.services.passwords import verify_password
from courtside.settings import get_database_settings, reset_settings


@pytest.fixture
def ops_database(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    # The command uses the process-wide engine; point it at this database (earlier tests
    # left it on the test server's engine, bound to another event loop).
    db.use_engine(db.build_engine(get_database_settings(), url=url))
    yield url
    reset_settings()


def _user(url: str, username: str) -> User | None:
    async def read():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                row = (await conn.execute(select(User).where(User.username == username))).first()
                return row
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_create_admin_on_lambda_generates_a_one_time_password(ops_database):
    result = cli.handler(
        {"argv": ["create-admin", "--username", "ada", "--email", "ada@example.test"]}, None
    )
    assert result["exit_code"] == 0, result
    match = re.search(r"one-time password: (\S+)", result["stdout"])
    assert match, result["stdout"]
    row = _user(ops_database, "ada")
    assert row is not None and row.role == "Admin"
    assert row.password_reset_required is True
    ok, _ = asyncio.run(verify_password(match.group(1), row.password_hash))
    assert ok


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"argv": "create-admin"},
        {"argv": []},
        {"argv": ["create-admin", "--username", "x", "--email", "x@y.io", "--password-stdin"]},
    ],
)
def test_lambda_handler_refuses_unusable_events(ops_database, event):
    result = cli.handler(event, None)
    assert result["exit_code"] == 2
    assert result["stderr"]


def test_lambda_handler_reports_a_failing_command(ops_database):
    result = cli.handler({"argv": ["no-such-command"]}, None)
    assert result["exit_code"] == 2
    assert "invalid choice" in result["stderr"]
    migrated = cli.handler({"argv": ["migrate"]}, None)
    assert migrated == {
        "exit_code": 0,
        "stdout": "database is at the latest migration\n",
        "stderr": "",
    }
