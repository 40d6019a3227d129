"""Settings, one class per concern, read from the environment (and `.env` locally).

Each class is built once per process through its `get_*` function; tests clear the
caches with `reset_settings()` after changing the environment.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from courtside.database_urls import async_url
from courtside.settings_source import EnvSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_DATABASE_PATH = REPO_ROOT / "var" / "courtside.db"


class Environment(StrEnum):
    LOCAL = "local"
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


_CONFIG = SettingsConfigDict(
    env_file=".env", env_file_encoding="utf-8", extra="ignore", defer_build=True
)
"""`defer_build`: a class's validator is built when it is first instantiated, so a cold start
pays only for the settings its request reads."""


def on_lambda() -> bool:
    """True inside an AWS Lambda execution environment (the runtime sets this variable)."""
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


def _lambda_pool_size() -> int:
    """One connection per Lambda environment, which serves one request at a time; two when
    no Redis is configured. Then the in-process cache reads its namespace versions from the
    database (`courtside.cache_versions`) on a connection of their own while the request
    holds its session's: with a pool of one that read waited `DB_POOL_TIMEOUT_SECONDS` (2 s)
    for the connection its own request held, then counted as a cache failure (issue 23's
    3.35 s first signed-in page). The stack always configures Redis (`REDIS_HOST`)."""
    return 1 if os.environ.get("REDIS_URL") or os.environ.get("REDIS_HOST") else 2


class AppSettings(EnvSettings):
    """Where and how the app runs."""

    model_config = _CONFIG

    environment: Environment = Field(
        default=Environment.LOCAL, description="local, dev, staging or prod."
    )
    league_timezone: str = Field(
        default="America/New_York", description="Days (today's games) are counted here."
    )
    public_base_url: str | None = Field(
        default=None, description="The public https://host (set by the stack)."
    )
    behind_cloudfront: bool = Field(
        default=False,
        description="Trust X-Forwarded-Host/Proto and X-Forwarded-Authorization (CloudFront only).",
    )
    log_level: str = Field(default="INFO", description="Python log level of the JSON logs.")
    otel_enabled: bool = Field(
        default=False, description="OpenTelemetry tracing (needs api/requirements-otel.txt)."
    )
    secrets_ttl_seconds: int = Field(
        default=300, ge=0, description="How long a Secrets Manager value is reused (Lambda)."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Request body limit (413 beyond), /v1/ingest aside."
    )

    @field_validator("league_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def is_local(self) -> bool:
        return self.environment is Environment.LOCAL

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.league_timezone)


class DatabaseSettings(EnvSettings):
    """The store: an embedded SQLite file by default, PostgreSQL anywhere that matters."""

    model_config = SettingsConfigDict(**_CONFIG, hide_input_in_errors=True)  # URLs hold passwords

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{EMBEDDED_DATABASE_PATH}",
        description="SQLAlchemy async URL; default: the embedded SQLite file var/courtside.db.",
    )
    db_schema: str = Field(
        default="mart", description="PostgreSQL schema of our tables (ignored on SQLite)."
    )
    database_secret_arn: str | None = Field(
        default=None, description="RDS secret ARN (Lambda); replaces DATABASE_URL."
    )
    database_name: str = Field(
        default="courtside", description="Database name when built from the RDS secret."
    )
    database_host: str | None = Field(
        default=None, description="Host override for the RDS secret (the RDS Proxy endpoint)."
    )
    database_use_proxy: bool = Field(
        default=False, description="Behind RDS Proxy: no client-side pool (NullPool)."
    )
    # One request at a time per Lambda environment: one connection, no overflow (two
    # without Redis: see `_lambda_pool_size`).
    db_pool_size: int = Field(
        default_factory=lambda: _lambda_pool_size() if on_lambda() else 5,
        ge=1,
        le=50,
        description="Pooled connections (1 on Lambda, 2 there without Redis, else 5).",
    )
    db_max_overflow: int = Field(
        default_factory=lambda: 0 if on_lambda() else 5,
        ge=0,
        le=50,
        description="Extra connections beyond the pool (0 on Lambda, else 5).",
    )
    db_pool_recycle_seconds: int = Field(
        default=240, ge=30, description="Recycle pooled connections older than this."
    )
    db_connect_timeout_seconds: float = Field(
        default=3.0, gt=0, le=10, description="Connect timeout (a new connection)."
    )
    db_pool_timeout_seconds: float = Field(
        default=2.0, gt=0, le=10, description="Longest wait for a pooled connection, then 503."
    )
    db_statement_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="Longest a statement may run or wait for a lock, then 503.",
    )
    db_echo: bool = Field(default=False, description="Log every SQL statement (debugging).")
    db_driver_reads: bool = Field(
        default=False,
        description=(
            "A public cache miss before the database layer loads is read on a plain asyncpg "
            "connection, without importing SQLAlchemy (the public service's cold start: "
            "`courtside.driver_reads`)."
        ),
    )
    db_ssl_mode: Literal["disable", "prefer", "require"] | None = Field(
        default=None,
        description="TLS to PostgreSQL; default require with DATABASE_SECRET_ARN, else prefer.",
    )

    @property
    def effective_ssl_mode(self) -> str:
        """RDS (reached through its secret) always gets TLS; elsewhere the driver's default."""
        if self.db_ssl_mode is not None:
            return self.db_ssl_mode
        return "require" if self.database_secret_arn else "prefer"

    @field_validator("db_schema")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
            raise ValueError("DB_SCHEMA must be a lower-case SQL identifier")
        return value

    @model_validator(mode="after")
    def _async_driver(self) -> DatabaseSettings:
        """The URL on the async driver the app runs on, its `sslmode` moved to DB_SSL_MODE
        (`database_urls.async_url`): the app never starts on a URL that would fail every
        request."""
        self.database_url, ssl_mode = async_url(self.database_url, self.db_ssl_mode)
        self.db_ssl_mode = ssl_mode  # type: ignore[assignment]
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def longest_wait_seconds(self) -> float:
        """The longest a request can wait on the database: a pooled connection, a new one,
        then a statement (the Lambda timeout must be longer)."""
        return (
            self.db_pool_timeout_seconds
            + self.db_connect_timeout_seconds
            + self.db_statement_timeout_seconds
        )


class CacheSettings(EnvSettings):
    """Redis when configured, an in-process cache otherwise. The cache is only an optimisation."""

    model_config = _CONFIG

    redis_url: str | None = Field(
        default=None, description="redis:// or rediss:// URL; unset: an in-process cache."
    )
    redis_host: str | None = Field(
        default=None, description="Redis host (Lambda; with REDIS_PORT, REDIS_TLS)."
    )
    redis_port: int = Field(default=6379, description="Redis port with REDIS_HOST.")
    redis_tls: bool = Field(default=False, description="rediss:// with REDIS_HOST.")
    redis_auth_secret_arn: str | None = Field(
        default=None, description="Secrets Manager ARN of the Redis AUTH token (Lambda)."
    )
    redis_socket_timeout_seconds: float = Field(
        default=0.25, gt=0, description="Redis connect and read timeout."
    )
    cache_prefix: str = Field(default="courtside", description="Prefix of every cache key.")
    cache_release: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="The code release cache entries are filed under (the stacks set the app "
        "image's source fingerprint): entries another release wrote are never read, since "
        "their encoding may differ; invalidations reach every release.",
    )
    cache_ttl_seconds: int = Field(default=60, ge=0, description="Public data that changes.")
    cache_ttl_reference_seconds: int = Field(
        default=3600, ge=0, description="Public data that rarely changes (teams, players)."
    )
    cache_max_entries_per_namespace: int = Field(
        default=2000,
        ge=1,
        description="Entries one cache namespace may store per TTL window; beyond: served "
        "uncached.",
    )
    cache_search_ttl_seconds: int = Field(
        default=60, ge=0, description="Player name searches (?q=): short, their keys are unbounded."
    )
    cdn_max_age_seconds: int = Field(
        default=30, ge=0, description="max-age of public GETs (browsers)."
    )
    cdn_s_maxage_seconds: int = Field(
        default=60, ge=0, description="s-maxage of public GETs (CloudFront)."
    )
    redis_retry_after_failure_seconds: float = Field(
        default=5.0, ge=0, description="After a Redis error, skip Redis for this long."
    )


DEV_JWT_SECRET = "local-dev-only-insecure-jwt-secret-do-not-deploy"  # noqa: S105
"""The JWT secret a local checkout uses when none is set. Refused outside `local`."""

MIN_JWT_SECRET_LENGTH = 32


class AuthSettings(EnvSettings):
    """Passwords, tokens, sessions, login limits and sign-up.

    Outside `local` the app refuses to start unless `JWT_SECRET_ARN` is set or `JWT_SECRET`
    is a real secret (see `courtside.auth.config.check_auth_settings`, called by `create_app`).
    """

    model_config = _CONFIG

    jwt_secret: SecretStr | None = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="JWT signing key; a dev-only default, refused outside local.",
    )
    jwt_secret_arn: str | None = Field(
        default=None, description="Secrets Manager ARN of the JWT secret (Lambda)."
    )
    access_token_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="Token and web session lifetime."
    )
    signup_enabled: bool = Field(
        default=True, description="Master switch for sign-up; the signup_open flag also applies."
    )
    password_min_length: int = Field(default=10, ge=8, le=64, description="Password policy.")
    password_hash_time_cost: int = Field(
        default=2,
        ge=1,
        le=20,
        description="Argon2id time cost (OWASP baseline: m=19 MiB, t=2, p=1).",
    )
    password_hash_memory_kib: int = Field(
        default=19_456, ge=8_192, le=1_048_576, description="Argon2id memory cost."
    )
    password_hash_parallelism: int = Field(
        default=1, ge=1, le=16, description="Argon2id parallelism."
    )
    login_max_failures_per_user: int = Field(
        default=5,
        ge=1,
        description="Failed logins per username and client network (or known device) per "
        "window, then 429 there.",
    )
    login_max_failures_per_user_anywhere: int = Field(
        default=50,
        ge=1,
        description="Failed logins per username from unknown devices, all networks, per "
        "window; then 429 except for a known device.",
    )
    login_max_failures_per_ip: int = Field(
        default=30, ge=1, description="Failed logins per client IP per window, then 429."
    )
    login_failure_window_seconds: int = Field(
        default=900, ge=1, description="Window of the login limits."
    )
    signup_max_per_ip: int = Field(
        default=10, ge=1, description="Sign-ups per client IP per window, then 429."
    )
    signup_window_seconds: int = Field(
        default=3600, ge=1, description="Window of the sign-up limit."
    )
    user_state_cache_seconds: int = Field(
        default=10, ge=0, description="How long a user's active/role/token-version is cached."
    )
    api_key_touch_interval_seconds: int = Field(
        default=60, ge=0, description="last_used_at is written at most this often per key."
    )
    session_cookie_name: str = Field(
        default="courtside_session", description="Session cookie (__Host- prefixed on HTTPS)."
    )
    csrf_cookie_name: str = Field(default="courtside_csrf", description="CSRF cookie.")


class BettingSettings(EnvSettings):
    """Simulated betting. Money is in cents; 1 unit = 100 cents."""

    model_config = _CONFIG

    starting_bankroll_cents: int = Field(
        default=100_000, ge=0, description="A new wallet's balance (default 1,000.00 units)."
    )
    max_stake_cents: int = Field(
        default=100_000_000, ge=1, description="Upper bound of one stake, whatever the bankroll."
    )
    leaderboard_min_bets: int = Field(
        default=5, ge=1, description="Settled bets a user needs in a period to be ranked."
    )


class EmailBackend(StrEnum):
    OFF = "off"
    LOG = "log"
    FILE = "file"
    SES = "ses"


class NotificationSettings(EnvSettings):
    """E-mail for users who ask to be told when a bet settles (sent after the commit)."""

    model_config = _CONFIG

    email_backend: EmailBackend | None = Field(
        default=None,
        description="off, log, file (EMAIL_FILE_DIR) or ses (Amazon SES); unset: log when "
        "local, else off.",
    )
    email_from: str = Field(
        default="Courtside <no-reply@courtside.local>", description="The From address."
    )
    email_file_dir: str = Field(
        default="var/mail", description="Where the file backend writes one .eml per message."
    )
    ses_region: str | None = Field(
        default=None, description="SES region (default: the function's own region)."
    )
    ses_configuration_set: str | None = Field(
        default=None, description="SES configuration set for sending events (optional)."
    )


class IngestSettings(EnvSettings):
    """The ingestion API (`POST /v1/ingest/{dataset}`) used by the data pipeline."""

    model_config = _CONFIG

    ingest_max_records: int = Field(
        default=5_000, ge=1, le=100_000, description="Records per batch; more is refused (413)."
    )
    ingest_max_body_bytes: int = Field(
        default=5_242_880,
        ge=1024,
        description="Body limit of /v1/ingest/ (5 MiB: under Lambda's 6 MB request payload).",
    )


@lru_cache
def get_app_settings() -> AppSettings:
    return AppSettings()


@lru_cache
def get_database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def get_cache_settings() -> CacheSettings:
    return CacheSettings()


@lru_cache
def get_auth_settings() -> AuthSettings:
    return AuthSettings()


@lru_cache
def get_betting_settings() -> BettingSettings:
    return BettingSettings()


@lru_cache
def get_ingest_settings() -> IngestSettings:
    return IngestSettings()


@lru_cache
def get_notification_settings() -> NotificationSettings:
    return NotificationSettings()


def reset_settings() -> None:
    """Forget every cached settings object (tests change the environment)."""
    for getter in (
        get_app_settings,
        get_database_settings,
        get_cache_settings,
        get_auth_settings,
        get_betting_settings,
        get_ingest_settings,
        get_notification_settings,
    ):
        getter.cache_clear()
    # lazy: SSO's settings are a module of their own so a service without SSO never builds them
    from courtside.sso_settings import get_sso_settings

    get_sso_settings.cache_clear()
