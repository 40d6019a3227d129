"""`python -m courtside create-admin` and the local demo accounts."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import create_async_engine

from courtside.models import AuditEvent, User
from courtside.services import users

REPO = Path(__file__).resolve().parents[3]


def run_cli(
    database_url: str, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPO / "api"),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "local",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "courtside", "create-admin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def cli_username(postgres_url):
    name = f"root{uuid.uuid4().hex[:8]}"
    yield name
    engine = create_async_engine(
        postgres_url, connect_args={"server_settings": {"search_path": "mart"}}
    )
    async with engine.begin() as conn:
        await conn.execute(
            delete(AuditEvent)
            .where(AuditEvent.target.like("user:%"))
            .where(AuditEvent.actor_name == "create-admin")
        )
        await conn.execute(delete(User).where(User.username == name))
    await engine.dispose()


async def test_create_admin_from_stdin(postgres_url, cli_username):
    result = run_cli(
        postgres_url,
        "--username",
        cli_username,
        "--email",
        f"{cli_username}@example.test",
        "--password-stdin",
        stdin="a-strong-admin-passphrase\n",
    )
    assert result.returncode == 0, result.stderr
    assert f"created Admin {cli_username}" in result.stdout
    assert "a-strong-admin-passphrase" not in result.stdout + result.stderr
    engine = create_async_engine(
        postgres_url, connect_args={"server_settings": {"search_path": "mart"}}
    )
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(User.role, User.password_hash).where(User.username == cli_username)
            )
        ).one()
    await engine.dispose()
    assert row.role == "Admin"
    assert row.password_hash.startswith("$argon2id$")
    duplicate = run_cli(
        postgres_url,
        "--username",
        cli_username,
        "--email",
        f"other-{cli_username}@example.test",
        "--password-env",
        "ADMIN_PW",
        env={"ADMIN_PW": "another-strong-passphrase"},
    )
    assert duplicate.returncode == 1
    assert "already registered" in duplicate.stderr


@pytest.mark.parametrize("password", ["short", "password123", "aaaaaaaaaaaaaaa"])
def test_create_admin_refuses_weak_passwords(postgres_url, password):
    result = run_cli(
        postgres_url,
        "--username",
        "weakling",
        "--email",
        "weakling@example.test",
        "--password-env",
        "ADMIN_PW",
        env={"ADMIN_PW": password},
    )
    assert result.returncode == 2
    assert "error: The password" in result.stderr


def test_create_admin_missing_env_var(postgres_url):
    result = run_cli(
        postgres_url,
        "--username",
        "x-admin",
        "--email",
        "x@example.test",
        "--password-env",
        "NOPE_",
    )
    assert result.returncode != 0
    assert "NOPE_ is not set" in result.stderr


async def test_demo_accounts_local_only(client, session, settings_env):
    created = await users.ensure_demo_accounts(session)
    again = await users.ensure_demo_accounts(session)
    assert [u.id for u in created] == [u.id for u in again]
    await session.commit()
    roles = {u.username: u.role for u in created}
    assert roles == {"demo-admin": "Admin", "demo-user": "Consumer"}
    admin = await client.post(
        "/token", data={"username": "demo-admin", "password": "courtside-admin"}
    )
    assert admin.status_code == 200
    consumer = await client.post(
        "/token", data={"username": "demo-user", "password": "courtside-user"}
    )
    assert consumer.status_code == 200
    settings_env(ENVIRONMENT="prod", JWT_SECRET="k3Jq9vQ0pX7sL2mN8bR4tY6wZ1aC5dE0fG")
    with pytest.raises(RuntimeError, match="ENVIRONMENT=local"):
        await users.ensure_demo_accounts(session)
