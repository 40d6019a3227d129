"""Secrets Manager values by ARN, cached per execution environment with a TTL.

On Lambda every secret the app needs (the RDS credentials, the Redis auth token, the JWT key)
arrives as an ARN in an environment variable. `secret_string(arn)` fetches it once and reuses
it for `SECRETS_TTL_SECONDS`; `invalidate(arn)` forgets it so the next call re-fetches — call it
when the value was rejected (an authentication failure after a rotation).

boto3 is imported on first use only: it ships with the AWS Lambda base image and is not a
runtime requirement of the app, and a local run never reads a secret. The fetch is a blocking
call made at most once per TTL per secret; on Lambda one request runs at a time, so blocking the
event loop for it costs nothing that a request would not wait for anyway.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from courtside.settings import DatabaseSettings, get_app_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

AUTH_FAILURE_SQLSTATES = frozenset({"28P01", "28000"})
"""PostgreSQL: invalid_password, invalid_authorization_specification."""

_lock = threading.Lock()
_values: dict[str, tuple[float, str]] = {}
_client: Any = None


class SecretError(RuntimeError):
    """A secret could not be read or does not have the expected shape."""


def use_client(client: Any) -> None:
    """Use `client` (a boto3 Secrets Manager client, e.g. with a botocore Stubber) from now on."""
    global _client
    with _lock:
        _client = client
        _values.clear()


def _secrets_client() -> Any:
    global _client
    if _client is None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - boto3 is in the Lambda base image
            raise SecretError(
                "boto3 is needed to read secrets from AWS Secrets Manager; it ships with the "
                "Lambda base image. Locally, unset the *_SECRET_ARN variables (or install "
                "requirements-dev.txt)."
            ) from exc
        _client = boto3.client(
            "secretsmanager",
            config=Config(
                connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"}
            ),
        )
    return _client


def _fetch(arn: str) -> str:
    response = _secrets_client().get_secret_value(SecretId=arn)
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise SecretError(f"secret {arn} has no SecretString (binary secrets are not supported)")
    return value


def secret_string(arn: str, *, ttl_seconds: float | None = None) -> str:
    """The secret's `SecretString`, fetched at most once per TTL (default `SECRETS_TTL_SECONDS`).

    If a refresh after expiry fails, the previous value is kept (logged): a Secrets Manager
    outage should not take the app down while the old credentials still work.
    """
    ttl = get_app_settings().secrets_ttl_seconds if ttl_seconds is None else ttl_seconds
    now = time.monotonic()
    with _lock:
        cached = _values.get(arn)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        try:
            value = _fetch(arn)
        except Exception as exc:
            if cached is None:
                raise
            log.warning("refreshing secret %s failed (%s); keeping the cached value", arn, exc)
            return cached[1]
        _values[arn] = (now, value)
        return value


def invalidate(arn: str | None = None) -> None:
    """Forget `arn` (or every secret): the next `secret_string` fetches it again."""
    with _lock:
        if arn is None:
            _values.clear()
        else:
            _values.pop(arn, None)


@dataclass(frozen=True)
class DatabaseCredentials:
    host: str
    port: int
    username: str
    password: str
    database: str


def _required(secret: Mapping[str, Any], key: str, arn: str) -> Any:
    value = secret.get(key)
    if value in (None, ""):
        raise SecretError(f"database secret {arn} has no {key!r}")
    return value


def database_credentials(settings: DatabaseSettings) -> DatabaseCredentials:
    """The RDS secret's fields; `DATABASE_HOST` (an RDS Proxy endpoint) and an explicitly set
    `DATABASE_NAME` take precedence over the secret's `host` and `dbname`."""
    arn = settings.database_secret_arn
    if not arn:
        raise SecretError("DATABASE_SECRET_ARN is not set")
    try:
        secret = json.loads(secret_string(arn))
    except json.JSONDecodeError as exc:
        raise SecretError(f"database secret {arn} is not JSON") from exc
    if not isinstance(secret, dict):
        raise SecretError(f"database secret {arn} is not a JSON object")
    host = settings.database_host or _required(secret, "host", arn)
    if "database_name" in settings.model_fields_set:
        database = settings.database_name
    else:
        database = secret.get("dbname") or settings.database_name
    try:
        port = int(secret.get("port") or 5432)
    except (TypeError, ValueError) as exc:
        raise SecretError(f"database secret {arn} has a port that is not a number") from exc
    return DatabaseCredentials(
        host=str(host),
        port=port,
        username=str(_required(secret, "username", arn)),
        password=str(_required(secret, "password", arn)),
        database=str(database),
    )


def database_url_from_secret(settings: DatabaseSettings) -> str:
    """`postgresql+asyncpg://user:password@host:port/db` from the RDS secret (quoted parts)."""
    c = database_credentials(settings)
    user = quote(c.username, safe="")
    password = quote(c.password, safe="")
    return f"postgresql+asyncpg://{user}:{password}@{c.host}:{c.port}/{quote(c.database, safe='')}"


def is_auth_failure(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) is PostgreSQL refusing the login."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if code in AUTH_FAILURE_SQLSTATES:
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def refresh_credentials_on_auth_failure(engine: AsyncEngine, settings: DatabaseSettings) -> None:
    """Log every new connection in with the secret's current credentials, and when PostgreSQL
    refuses them (the secret was rotated), re-fetch the secret once and retry."""
    from sqlalchemy import event

    arn = settings.database_secret_arn
    if not arn:
        return

    def _login(params: dict[str, Any]) -> None:
        credentials = database_credentials(settings)
        params["user"] = credentials.username
        params["password"] = credentials.password

    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        _login(cparams)
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            if not is_auth_failure(exc):
                raise
            log.warning("database login refused; re-fetching secret %s", arn)
            invalidate(arn)
            _login(cparams)
            return dialect.connect(*cargs, **cparams)

    event.listen(engine.sync_engine, "do_connect", _connect)
