import pytest
from pydantic import ValidationError

from courtside.settings import (
    EMBEDDED_DATABASE_PATH,
    AppSettings,
    CacheSettings,
    DatabaseSettings,
    Environment,
)


def test_defaults_need_nothing_installed(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "DB_SCHEMA", "LEAGUE_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    database = DatabaseSettings(_env_file=None)
    assert database.database_url == f"sqlite+aiosqlite:///{EMBEDDED_DATABASE_PATH}"
    assert EMBEDDED_DATABASE_PATH.parent.name == "var"
    assert database.is_sqlite and database.db_schema == "mart"
    assert CacheSettings(_env_file=None).redis_url is None
    app = AppSettings(_env_file=None)
    assert app.environment is Environment.LOCAL and app.is_local
    assert app.league_timezone == "America/New_York"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "staging")
    monkeypatch.setenv("LEAGUE_TIMEZONE", "America/Los_Angeles")
    monkeypatch.setenv("DB_SCHEMA", "analytics")
    monkeypatch.setenv("CACHE_TTL_SECONDS", "15")
    assert AppSettings(_env_file=None).environment is Environment.STAGING
    assert str(AppSettings(_env_file=None).zone) == "America/Los_Angeles"
    assert DatabaseSettings(_env_file=None).db_schema == "analytics"
    assert CacheSettings(_env_file=None).cache_ttl_seconds == 15


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (AppSettings, "ENVIRONMENT", "production"),
        (AppSettings, "LEAGUE_TIMEZONE", "Mars/Olympus"),
        (DatabaseSettings, "DB_SCHEMA", "mart; drop table x"),
        (CacheSettings, "CACHE_TTL_SECONDS", "-1"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(monkeypatch, cls, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        cls(_env_file=None)
    assert name.lower() in str(info.value)


def test_rds_connections_require_tls_by_default(monkeypatch):
    monkeypatch.delenv("DB_SSL_MODE", raising=False)
    assert DatabaseSettings(_env_file=None).effective_ssl_mode == "prefer"
    monkeypatch.setenv("DATABASE_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:db")
    assert DatabaseSettings(_env_file=None).effective_ssl_mode == "require"
    monkeypatch.setenv("DB_SSL_MODE", "disable")
    assert DatabaseSettings(_env_file=None).effective_ssl_mode == "disable"


async def test_required_tls_is_what_the_engine_asks_for(monkeypatch, postgres_url):
    """This machine's PostgreSQL has no TLS: an engine that requires it must fail to connect,
    which shows the setting reaches the driver."""
    from sqlalchemy import text

    from courtside.db import build_engine

    monkeypatch.setenv("DB_SSL_MODE", "require")
    engine = build_engine(DatabaseSettings(_env_file=None), url=postgres_url)
    try:
        with pytest.raises(ConnectionError, match="SSL"):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    monkeypatch.setenv("DB_SSL_MODE", "prefer")
    engine = build_engine(DatabaseSettings(_env_file=None), url=postgres_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
