"""Settings, one class per concern, read from the environment (and `.env` locally).

Each class is built once per process through its `get_*` function; tests clear the
caches with `reset_settings()` after changing the environment.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_DATABASE_PATH = REPO_ROOT / "var" / "courtside.db"


class Environment(StrEnum):
    LOCAL = "local"
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


_CONFIG = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class AppSettings(BaseSettings):
    """Where and how the app runs."""

    model_config = _CONFIG

    environment: Environment = Environment.LOCAL
    league_timezone: str = "America/New_York"
    public_base_url: str | None = None
    behind_cloudfront: bool = Field(
        default=False,
        description="Trust X-Forwarded-Host/Proto and X-Forwarded-Authorization (CloudFront only).",
    )
    log_level: str = "INFO"
    otel_enabled: bool = False
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

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


class DatabaseSettings(BaseSettings):
    """The store: an embedded SQLite file by default, PostgreSQL anywhere that matters."""

    model_config = _CONFIG

    database_url: str = f"sqlite+aiosqlite:///{EMBEDDED_DATABASE_PATH}"
    db_schema: str = "mart"
    database_secret_arn: str | None = None
    database_name: str = "courtside"
    database_host: str | None = None
    database_use_proxy: bool = False
    db_pool_size: int = Field(default=5, ge=1, le=50)
    db_max_overflow: int = Field(default=5, ge=0, le=50)
    db_pool_recycle_seconds: int = Field(default=240, ge=30)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_echo: bool = False

    @field_validator("db_schema")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
            raise ValueError("DB_SCHEMA must be a lower-case SQL identifier")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class CacheSettings(BaseSettings):
    """Redis when configured, an in-process cache otherwise. The cache is only an optimisation."""

    model_config = _CONFIG

    redis_url: str | None = None
    redis_host: str | None = None
    redis_port: int = 6379
    redis_tls: bool = False
    redis_auth_secret_arn: str | None = None
    redis_socket_timeout_seconds: float = Field(default=0.25, gt=0)
    cache_prefix: str = "courtside"
    cache_ttl_seconds: int = Field(default=60, ge=0, description="Public data that changes.")
    cache_ttl_reference_seconds: int = Field(
        default=3600, ge=0, description="Public data that rarely changes (teams, players)."
    )
    cdn_max_age_seconds: int = Field(default=30, ge=0)
    cdn_s_maxage_seconds: int = Field(default=60, ge=0)
    redis_retry_after_failure_seconds: float = Field(
        default=5.0, ge=0, description="After a Redis error, skip Redis for this long."
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


def reset_settings() -> None:
    """Forget every cached settings object (tests change the environment)."""
    for getter in (get_app_settings, get_database_settings, get_cache_settings):
        getter.cache_clear()
