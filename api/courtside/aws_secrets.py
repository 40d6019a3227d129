"""Secrets Manager values by ARN, cached per execution environment with a TTL.

On Lambda every secret the app needs (the RDS credentials, the Redis auth token, the JWT key)
arrives as an ARN in an environment variable. `secret_string(arn)` fetches it once and reuses
it for `SECRETS_TTL_SECONDS`; `invalidate(arn)` makes the next call re-fetch it — call it
when the value was rejected (an authentication failure after a rotation).

The fetching and the TTL cache are Powertools for AWS Lambda's `parameters` utility (a
`SecretsProvider`, `max_age` = the TTL, `force_fetch` after `invalidate`). What is added here:
a failed refresh keeps the last good value, and a value must be a `SecretString`.

Powertools' `parameters` and boto3 are imported on the first fetch only: boto3 ships with the
AWS Lambda base image and is not a runtime requirement of the app, a local run never reads a
secret, and a cold start that serves a request needing no secret does not pay for them. The
fetch is a blocking call made at most once per TTL per secret; on Lambda one request runs at
a time, so blocking the event loop for it costs nothing that a request would not wait for
anyway.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from courtside.settings import DatabaseSettings, get_app_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

AUTH_FAILURE_SQLSTATES = frozenset({"28P01", "28000"})
"""PostgreSQL: invalid_password, invalid_authorization_specification."""

_lock = threading.Lock()
_client: Any = None
"""The boto3 Secrets Manager client `use_client` gave, else None (one is made on first use)."""
_provider: SecretsProvider | None = None
_last_good: dict[str, str] = {}
"""Each secret's last fetched value: what a failed refresh falls back to."""
_invalidated: set[str] = set()
"""Secrets whose next read bypasses Powertools' cache (`force_fetch`)."""


class SecretError(RuntimeError):
    """A secret could not be read or does not have the expected shape."""


def use_client(client: Any) -> None:
    """Use `client` (a boto3 Secrets Manager client, e.g. with a botocore Stubber) from now on;
    None: make one on first use. Forgets every cached value."""
    global _client, _provider
    with _lock:
        _client = client
        _provider = None
        _last_good.clear()
        _invalidated.clear()


def _secrets_provider() -> SecretsProvider:
    global _provider
    if _provider is None:
        try:
            # lazy: Powertools and botocore (~300 ms) load on the first secret fetch
            from aws_lambda_powertools.utilities.parameters import SecretsProvider
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - boto3 is in the Lambda base image
            raise SecretError(
                "boto3 is needed to read secrets from AWS Secrets Manager; it ships with the "
                "Lambda base image. Locally, unset the *_SECRET_ARN variables (or install "
                "requirements-dev.txt)."
            ) from exc
        if _client is not None:
            _provider = SecretsProvider(boto3_client=_client)
        else:
            _provider = SecretsProvider(
                boto_config=Config(
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"max_attempts": 3, "mode": "standard"},
                )
            )
    return _provider


def _fetch(arn: str, *, max_age: int, force: bool) -> str:
    # lazy: Powertools loads on the first secret fetch
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = _secrets_provider().get(arn, max_age=max_age, force_fetch=force)
    except GetParameterError as exc:
        raise SecretError(f"reading secret {arn} failed: {exc}") from exc
    if not isinstance(value, str):
        raise SecretError(f"secret {arn} has no SecretString (binary secrets are not supported)")
    return value


def secret_string(arn: str, *, ttl_seconds: int | None = None) -> str:
    """The secret's `SecretString`, fetched at most once per TTL (default `SECRETS_TTL_SECONDS`).

    The TTL is Powertools' `max_age`: it is fixed when a value is fetched (a fetched value is
    reused for the `ttl_seconds` given with that fetch; 0: not reused). If a refresh after
    expiry fails, the previous value is kept (logged): a Secrets Manager outage should not
    take the app down while the old credentials still work.
    """
    ttl = get_app_settings().secrets_ttl_seconds if ttl_seconds is None else ttl_seconds
    with _lock:
        force = arn in _invalidated
        try:
            value = _fetch(arn, max_age=ttl, force=force)
        except SecretError as exc:
            cached = _last_good.get(arn)
            if cached is None:
                raise
            log.warning("refreshing secret %s failed (%s); keeping the cached value", arn, exc)
            return cached
        _invalidated.discard(arn)
        _last_good[arn] = value
        return value


def invalidate(arn: str | None = None) -> None:
    """Forget `arn` (or every secret): the next `secret_string` fetches it again."""
    with _lock:
        if arn is None:
            _last_good.clear()
            _invalidated.clear()
            if _provider is not None:
                _provider.clear_cache()  # type: ignore[no-untyped-call]  # untyped upstream
        else:
            _last_good.pop(arn, None)
            _invalidated.add(arn)


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
    # lazy: only a database reached through its secret installs the hook
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
