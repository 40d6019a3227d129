"""The app's database role (migration 0007_app_role) on the real PostgreSQL: it may read and
write the app's tables, and create, alter or drop nothing. Its password is set by the migrator.

The checks run as the role itself (`SET ROLE courtside_app` from the owner's session, so every
privilege check is the role's), each statement in a savepoint, all rolled back.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator

import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from courtside import aws_secrets, migrate
from courtside.app_role import (
    APP_ROLE,
    AppRoleError,
    scram_sha256_verifier,
    set_app_role_password,
    set_password,
)
from courtside.models import Base
from courtside.settings import reset_settings
from tests.api.db.roles import as_role

INSUFFICIENT_PRIVILEGE = "42501"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:courtside-app-AbCdEf"


@pytest.fixture
async def owner(postgres_url: str) -> AsyncIterator[AsyncConnection]:
    """The owner's (migrator's) connection to the migrated test database, rolled back after."""
    engine = create_async_engine(
        postgres_url, connect_args={"server_settings": {"search_path": "mart,public"}}
    )
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            yield connection
            await transaction.rollback()
    finally:
        await engine.dispose()


async def _as_app(connection: AsyncConnection, sql: str, **params: object) -> object:
    """Run `sql` as the app role; its writes stay for the rest of the test."""
    return await as_role(connection, APP_ROLE, sql, keep=True, **params)


async def test_the_app_role_can_read_every_table_of_the_app(owner):
    kept_by_migrations = {"row_counts": 1}  # the players' row count, kept by triggers
    for table in Base.metadata.sorted_tables:
        rows = await _as_app(owner, f"SELECT count(*) FROM {table.name}")
        assert rows == kept_by_migrations.get(table.name, 0), table.name
    assert await _as_app(owner, "SELECT version_num FROM alembic_version") == (
        migrate.head_revision()
    )


async def test_the_app_role_can_insert_update_and_delete(owner):
    insert = (
        "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
        "VALUES ('ZZZ', 'Nowhere', 'Testers', 'East', 'Atlantic', now()) RETURNING id"
    )
    team_id = await _as_app(owner, insert)  # the serial id: the sequence is usable too
    assert isinstance(team_id, int)
    assert (
        await _as_app(owner, "UPDATE teams SET city = 'Somewhere' WHERE id = :id", id=team_id) == 1
    )
    assert await _as_app(owner, "DELETE FROM teams WHERE id = :id", id=team_id) == 1


async def test_the_app_role_runs_the_row_count_triggers(owner):
    """Inserting a player as the app role updates `row_counts` through the trigger."""
    insert = (
        "INSERT INTO players (external_id, first_name, last_name, position, active, updated_at) "
        "VALUES ('p-app', 'App', 'Role', 'G', true, now())"
    )
    assert await _as_app(owner, insert) == 1
    count = "SELECT row_count FROM row_counts WHERE table_name = 'players'"
    assert await _as_app(owner, count) == 1
    assert await _as_app(owner, "DELETE FROM players WHERE external_id = 'p-app'") == 1
    assert await _as_app(owner, count) == 0


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE mart.sneaky (id int)",
        "CREATE TABLE public.sneaky (id int)",
        "CREATE TEMPORARY TABLE sneaky (id int)",
        "CREATE SCHEMA sneaky",
        "CREATE VIEW mart.sneaky AS SELECT 1",
        "CREATE INDEX sneaky ON teams (city)",
        "CREATE FUNCTION mart.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER TABLE teams ADD COLUMN sneaky int",
        "ALTER TABLE teams DROP COLUMN city",
        "ALTER TABLE teams OWNER TO courtside_app",
        "DROP TABLE teams",
        "DROP INDEX uq_bets_user_id_game_id_live",
        "TRUNCATE teams",
        "UPDATE alembic_version SET version_num = 'x'",
        "DELETE FROM alembic_version",
        "ALTER ROLE courtside_app CREATEDB",
        "CREATE ROLE sneaky",
    ],
)
async def test_the_app_role_cannot_create_alter_or_drop_anything(owner, statement):
    assert await _as_app(owner, statement) == INSUFFICIENT_PRIVILEGE


async def test_tables_added_by_later_migrations_are_covered(owner):
    """ALTER DEFAULT PRIVILEGES: a table the owner creates later is the app role's to use."""
    await owner.execute(text("CREATE TABLE mart.added_later (id serial PRIMARY KEY, note text)"))

    new_id = await _as_app(owner, "INSERT INTO added_later (note) VALUES ('x') RETURNING id")
    assert isinstance(new_id, int)
    assert await _as_app(owner, "SELECT count(*) FROM added_later") == 1
    assert await _as_app(owner, "DROP TABLE added_later") == INSUFFICIENT_PRIVILEGE


async def test_the_role_cannot_log_in_until_the_migrator_sets_its_password(owner):
    row = (
        await owner.execute(
            text(
                "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                "WHERE rolname = :name"
            ),
            {"name": APP_ROLE},
        )
    ).one()
    # Another test (or a deploy) may have set a password already; the rest never changes.
    assert tuple(row)[1:] == (False, False, False)


# --- the password, from the app role's own secret -------------------------------------------


async def test_the_verifier_is_what_postgresql_itself_stores(owner):
    name = f"courtside_verifier_{uuid.uuid4().hex[:8]}"
    await owner.execute(text("SET LOCAL password_encryption = 'scram-sha-256'"))
    await owner.execute(text(f"CREATE ROLE {name} PASSWORD 'correct horse battery staple'"))
    stored = await owner.scalar(
        text("SELECT rolpassword FROM pg_authid WHERE rolname = :n"), {"n": name}
    )

    iterations, salt = stored.split("$")[1].split(":")
    ours = scram_sha256_verifier(
        "correct horse battery staple", salt=base64.b64decode(salt), iterations=int(iterations)
    )
    assert ours == stored


@pytest.fixture
async def member_role(owner) -> str:
    """A throwaway login-less role that is a member of the app role (like rotation's clone)."""
    name = f"courtside_app_t{uuid.uuid4().hex[:8]}"
    await owner.execute(text(f"CREATE ROLE {name} NOLOGIN IN ROLE {APP_ROLE}"))
    return name  # rolled back with the owner's transaction


async def test_set_password_gives_a_member_of_the_app_role_login_and_the_password(
    owner, member_role
):
    await set_password(owner, username=member_role, password="Generated-Pa55word-0123456789")

    can_login, stored = (
        await owner.execute(
            text("SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = :n"),
            {"n": member_role},
        )
    ).one()
    iterations, salt = stored.split("$")[1].split(":")
    assert can_login is True
    assert stored == scram_sha256_verifier(
        "Generated-Pa55word-0123456789", salt=base64.b64decode(salt), iterations=int(iterations)
    )


@pytest.mark.parametrize("username", ["postgres", "pg_monitor", "nobody_at_all"])
async def test_set_password_refuses_any_other_role(owner, username):
    with pytest.raises(AppRoleError, match=f"refusing to set a password for '{username}'"):
        await set_password(owner, username=username, password="whatever-password-123")


def test_verifier_refuses_what_saslprep_would_change():
    with pytest.raises(AppRoleError, match="printable ASCII"):
        scram_sha256_verifier("pässword")


@pytest.fixture
def secrets_stub():
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    stubber = Stubber(client)
    aws_secrets.use_client(client)
    yield stubber
    aws_secrets.use_client(None)


def _secret(stubber: Stubber, value: dict[str, object]) -> None:
    stubber.add_response(
        "get_secret_value",
        {"ARN": SECRET_ARN, "Name": "courtside-app", "SecretString": json.dumps(value)},
        {"SecretId": SECRET_ARN},
    )


def test_the_migrator_sets_the_password_the_secret_holds(postgres_url, secrets_stub, monkeypatch):
    """The deploy-time handler migrates, then reads APP_DATABASE_SECRET_ARN and sets it."""
    name = f"courtside_app_t{uuid.uuid4().hex[:8]}"
    password = "Deploy-time-Pa55word-abcdefghij"
    asyncio.run(_owner_sql(postgres_url, f"CREATE ROLE {name} NOLOGIN IN ROLE {APP_ROLE}"))
    try:
        _secret(secrets_stub, {"username": name, "password": password, "engine": "postgres"})
        monkeypatch.setenv("DATABASE_URL", postgres_url)
        monkeypatch.setenv("APP_DATABASE_SECRET_ARN", SECRET_ARN)
        reset_settings()
        with secrets_stub:
            result = migrate.handler({}, None)

        assert result["status"] == "ok"
        assert result["app_role"] == name
        stored = asyncio.run(
            _owner_scalar(
                postgres_url, f"SELECT rolpassword FROM pg_authid WHERE rolname = '{name}'"
            )
        )
        iterations, salt = str(stored).split("$")[1].split(":")
        assert stored == scram_sha256_verifier(
            password, salt=base64.b64decode(salt), iterations=int(iterations)
        )
    finally:
        reset_settings()
        asyncio.run(_owner_sql(postgres_url, f"DROP ROLE IF EXISTS {name}"))


def test_a_secret_without_credentials_fails_the_deploy(postgres_url, secrets_stub):
    _secret(secrets_stub, {"password": "no-username-here-1234"})
    with secrets_stub, pytest.raises(AppRoleError, match="no JSON username and password"):
        set_app_role_password(postgres_url, SECRET_ARN)


async def _owner_sql(url: str, sql: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def _owner_scalar(url: str, sql: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()
