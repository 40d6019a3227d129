"""The app's database roles: their passwords, set at deploy time by the migrator.

Migration ``0007_app_role`` creates `courtside_app` (the whole app: all-in-one),
``0010_service_roles`` one role per service of a split deployment (`courtside.services_registry`),
all NOLOGIN and with only the privileges their code needs. On every deploy the migrator,
connected as the owner, reads each role's own Secrets Manager secret (JSON with ``username``
and ``password``) and sets that password, turning LOGIN on: ``APP_DATABASE_SECRET_ARN`` for
`courtside_app`, and ``SERVICE_DATABASE_SECRET_ARNS`` (a JSON object: role -> secret ARN) for
the services. A function only ever receives its own role's secret.

With Secrets Manager's multi-user rotation a secret alternates between its role (say
``courtside_app``) and ``<role>_clone`` (created by the rotation function as a member of it); a
secret naming a role that is neither the expected one nor a member of it is refused, so this can
never hand a password to the owner, nor one service's password to another's role.

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
from collections.abc import Mapping

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.services_registry import APP_ROLE, SERVICES

__all__ = [
    "APP_ROLE",
    "LOGIN_ROLES",
    "AppRoleError",
    "AppRoleSettings",
    "scram_sha256_verifier",
    "set_app_role_password",
    "set_password",
    "set_role_passwords",
]

LOGIN_ROLES = frozenset({APP_ROLE, *(s.database_role for s in SERVICES)})
"""The roles the migrator may give a password (migrations 0007 and 0010 create them)."""
SCRAM_ITERATIONS = 4096  # PostgreSQL's default scram_iterations


class AppRoleError(RuntimeError):
    """The app role's secret or role is not what the migrator expects."""


class AppRoleSettings(BaseSettings):
    """The deploy-time migrator's view of the app role (not used by the API)."""

    model_config = SettingsConfigDict(extra="ignore")

    app_database_secret_arn: str | None = Field(
        default=None, description="The app role's secret, whose password the migrator sets."
    )
    service_database_secret_arns: dict[str, str] = Field(
        default_factory=dict,
        description="Each service role's secret (JSON: role -> ARN), whose password it sets.",
    )

    def secrets(self) -> dict[str, str]:
        """role -> secret ARN, for every role whose password the migrator sets."""
        found = dict(self.service_database_secret_arns)
        if self.app_database_secret_arn:
            found[APP_ROLE] = self.app_database_secret_arn
        return found


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


async def set_password(
    connection: AsyncConnection, *, username: str, password: str, role: str = APP_ROLE
) -> None:
    """Give `username` (`role`, one of `LOGIN_ROLES`, or a member of it) LOGIN and `password`."""
    if role not in LOGIN_ROLES:
        raise AppRoleError(f"refusing to set a password for a {role!r} login: not an app role")
    allowed = await connection.scalar(
        text(
            "SELECT r.rolname = :role OR ("
            "  EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role)"
            "  AND pg_has_role(r.rolname, :role, 'MEMBER')) "
            "FROM pg_roles r WHERE r.rolname = :name AND NOT r.rolsuper"
        ),
        {"role": role, "name": username},
    )
    if not allowed:
        raise AppRoleError(
            f"refusing to set a password for {username!r}: not {role} or a member of it "
            "(have migrations 0007_app_role and 0010_service_roles run?)"
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
    # lazy: boto3/Powertools load only when a role's secret is fetched (deploys)
    from courtside.aws_secrets import secret_string

    try:
        secret = json.loads(secret_string(secret_arn))
        username, password = secret["username"], secret["password"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AppRoleError(f"secret {secret_arn} has no JSON username and password") from exc
    return str(username), str(password)


def set_app_role_password(url: str, secret_arn: str) -> str:
    """Set the password of the role the secret names (owner connection `url`); return the role."""
    return set_role_passwords(url, {APP_ROLE: secret_arn})[0]


def set_role_passwords(url: str, secrets: Mapping[str, str]) -> list[str]:
    """For each role -> secret ARN, set the password of the login the secret names (the role
    or a member of it), in one transaction (owner connection `url`); return those logins."""
    # lazy: the migrator's path only: the app's settings import this module at start
    from courtside.db import build_engine
    from courtside.settings import get_database_settings

    logins = {role: _credentials(arn) for role, arn in secrets.items()}

    async def run() -> None:
        engine = build_engine(get_database_settings(), url=url)
        try:
            async with engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    for role, (username, password) in logins.items():
                        await set_password(
                            connection, username=username, password=password, role=role
                        )
        finally:
            await engine.dispose()

    asyncio.run(run())
    return [username for username, _ in logins.values()]
