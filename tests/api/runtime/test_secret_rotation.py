"""Rotation of the database secret against a real PostgreSQL that checks passwords.

The machine's server trusts every local login, so this starts its own throwaway cluster with
scram-sha-256 authentication and TLS (a self-signed certificate: the app requires TLS when it
reads the RDS secret, as RDS does) on a free port (as the `postgres` user: PostgreSQL refuses
to run as root) and stops it afterwards. Secrets Manager is stubbed; PostgreSQL is real.
"""

from __future__ import annotations

import json
import pwd
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import boto3
import pytest
from botocore.stub import Stubber
from sqlalchemy import text

from courtside import aws_secrets
from courtside.db import build_engine, database_url
from courtside.settings import DatabaseSettings
from tests.servers import OwnPostgres, as_postgres

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:courtside-test-db-MnOpQr"
SUPERUSER_PASSWORD = "superuser-password"


@pytest.fixture(scope="module")
def password_postgres() -> Iterator[int]:
    """A PostgreSQL cluster that demands passwords and speaks TLS; yields its port."""
    with tempfile.NamedTemporaryFile("w", suffix=".pw", delete=False) as password_file:
        password_file.write(SUPERUSER_PASSWORD)
    account = pwd.getpwnam("postgres")
    shutil.chown(password_file.name, account.pw_uid, account.pw_gid)
    try:
        server = OwnPostgres(initdb_args=("-A", "scram-sha-256", f"--pwfile={password_file.name}"))
    finally:
        Path(password_file.name).unlink()
    try:
        as_postgres(
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", str(server.root / "server.key"),
            "-out", str(server.root / "server.crt"),
        )  # fmt: skip
        server.extra_options = (
            f"-c ssl=on -c ssl_cert_file={server.root}/server.crt "
            f"-c ssl_key_file={server.root}/server.key"
        )
        server.start()
        yield server.port
    finally:
        server.destroy()


async def _superuser(port: int, sql: str) -> None:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", password=SUPERUSER_PASSWORD,
        database="postgres",
    )  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def app_role(password_postgres: int) -> AsyncIterator[int]:
    await _superuser(password_postgres, "CREATE ROLE courtside_app LOGIN PASSWORD 'password-1'")
    yield password_postgres
    await _superuser(password_postgres, "DROP ROLE IF EXISTS courtside_app")


@pytest.fixture
def stub() -> Iterator[Stubber]:
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        aws_secrets.use_client(client)
        yield stubber
    aws_secrets.use_client(None)


def expect_secret(stub: Stubber, port: int, password: str) -> None:
    value = {
        "username": "courtside_app",
        "password": password,
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": port,
        "dbname": "postgres",
    }
    stub.add_response(
        "get_secret_value",
        {
            "ARN": ARN,
            "Name": "courtside-test-db",
            "VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
            "SecretString": json.dumps(value),
        },
        {"SecretId": ARN},
    )


async def test_login_refused_after_rotation_refetches_the_secret_once(app_role, stub):
    port = app_role
    expect_secret(stub, port, "password-1")
    settings = DatabaseSettings(database_secret_arn=ARN, db_schema="public")
    engine = build_engine(settings, url=database_url(settings))
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_user"))).scalar() == "courtside_app"

        await _superuser(port, "ALTER ROLE courtside_app PASSWORD 'password-2'")
        expect_secret(stub, port, "password-2")
        await engine.dispose()  # the pooled socket is gone (frozen environment, recycle)

        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        stub.assert_no_pending_responses()

        # Later connections use the refreshed secret straight away (no further fetch).
        await engine.dispose()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 2"))).scalar() == 2
    finally:
        await engine.dispose()


async def test_a_secret_that_is_still_wrong_fails_after_one_refetch(app_role, stub):
    port = app_role
    expect_secret(stub, port, "password-1")
    settings = DatabaseSettings(database_secret_arn=ARN, db_schema="public")
    engine = build_engine(settings, url=database_url(settings))
    try:
        await _superuser(port, "ALTER ROLE courtside_app PASSWORD 'password-3'")
        expect_secret(stub, port, "not-the-password")
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is the driver's
            async with engine.connect():
                pass
        assert aws_secrets.is_auth_failure(caught.value)
        stub.assert_no_pending_responses()
    finally:
        await engine.dispose()


async def test_errors_other_than_authentication_are_not_retried(password_postgres, stub):
    expect_secret(stub, password_postgres, "password-1")
    settings = DatabaseSettings(
        database_secret_arn=ARN, db_schema="public", database_name="no_such_database"
    )
    engine = build_engine(settings, url=database_url(settings))
    try:
        await _superuser(password_postgres, "CREATE ROLE courtside_app LOGIN PASSWORD 'password-1'")
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is the driver's
            async with engine.connect():
                pass
        assert not aws_secrets.is_auth_failure(caught.value)
        assert "no_such_database" in str(caught.value)
        stub.assert_no_pending_responses()
    finally:
        await engine.dispose()
        await _superuser(password_postgres, "DROP ROLE IF EXISTS courtside_app")
