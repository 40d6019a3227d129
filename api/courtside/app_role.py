"""The app's database role (`courtside_app`): its password, set at deploy time by the migrator.

Migration ``0007_app_role`` creates the role (NOLOGIN) with DML on the app's tables only. On
every deploy the migrator, connected as the owner, reads the app role's own Secrets Manager
secret (``APP_DATABASE_SECRET_ARN``: JSON with ``username`` and ``password``) and sets that
password, turning LOGIN on. The API only ever receives the app role's secret.

With Secrets Manager's multi-user rotation the secret alternates between ``courtside_app`` and
``courtside_app_clone`` (created by the rotation function as a member of ``courtside_app``); a
secret naming any other role is refused, so this can never hand a password to the owner.

The password goes to PostgreSQL as a SCRAM-SHA-256 verifier computed here, never in clear
text: a statement log would otherwise hold it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

APP_ROLE = "courtside_app"
"""Created by migration 0007_app_role; the app secret's username (database/infrastructure.py)."""
SCRAM_ITERATIONS = 4096  # PostgreSQL's default scram_iterations


class AppRoleError(RuntimeError):
    """The app role's secret or role is not what the migrator expects."""


class AppRoleSettings(BaseSettings):
    """The deploy-time migrator's view of the app role (not used by the API)."""

    model_config = SettingsConfigDict(extra="ignore")

    app_database_secret_arn: str | None = Field(
        default=None, description="The app role's secret, whose password the migrator sets."
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def scram_sha256_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """What PostgreSQL stores for `password` under scram-sha-256 (RFC 5802 / RFC 7677).

    Only printable ASCII is accepted: SASLprep leaves it unchanged, so this equals what the
    server would compute itself (generated secrets are ASCII).
    """
    if not password or not all(" " <= c <= "~" for c in password):
        raise AppRoleError("the app role's password must be non-empty printable ASCII")
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


async def set_password(connection: AsyncConnection, *, username: str, password: str) -> None:
    """Give `username` (the app role or a member of it) LOGIN and `password`."""
    allowed = await connection.scalar(
        text(
            "SELECT r.rolname = :app OR pg_has_role(r.rolname, :app, 'MEMBER') "
            "FROM pg_roles r WHERE r.rolname = :name AND NOT r.rolsuper"
        ),
        {"app": APP_ROLE, "name": username},
    )
    if not allowed:
        raise AppRoleError(
            f"refusing to set a password for {username!r}: not {APP_ROLE} or a member of it "
            "(has migration 0007_app_role run?)"
        )
    statement = await connection.scalar(
        text(
            "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', "
            "CAST(:name AS text), CAST(:verifier AS text))"
        ),
        {"name": username, "verifier": scram_sha256_verifier(password)},
    )
    # Run as is: the verifier's ':' would read as bind parameters in text().
    await connection.exec_driver_sql(str(statement))


def _credentials(secret_arn: str) -> tuple[str, str]:
    from courtside.aws_secrets import secret_string

    try:
        secret = json.loads(secret_string(secret_arn))
        username, password = secret["username"], secret["password"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AppRoleError(f"secret {secret_arn} has no JSON username and password") from exc
    return str(username), str(password)


def set_app_role_password(url: str, secret_arn: str) -> str:
    """Set the password of the role the secret names (owner connection `url`); return the role."""
    from courtside.db import build_engine
    from courtside.settings import get_database_settings

    username, password = _credentials(secret_arn)

    async def run() -> None:
        engine = build_engine(get_database_settings(), url=url)
        try:
            async with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    await set_password(connection, username=username, password=password)
        finally:
            await engine.dispose()

    asyncio.run(run())
    return username
