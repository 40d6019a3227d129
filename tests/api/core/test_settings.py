import pytest
from pydantic import ValidationError

from courtside.settings import (
    EMBEDDED_DATABASE_PATH,
    AppSettings,
    CacheSettings,
    DatabaseSettings,
    Environment,
)
from courtside.settings_source import EnvSettings


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


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite:////abs/x.db", "sqlite+aiosqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgresql://u:p%40ss@db:5432/app", "postgresql+asyncpg://u:p%40ss@db:5432/app"),
        ("postgres://u:pw@db/app", "postgresql+asyncpg://u:pw@db/app"),
        ("postgresql+psycopg2://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+psycopg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app?ssl=require", "postgresql+asyncpg://u@db/app?ssl=require"),
    ],
)
def test_common_database_url_forms_run_on_the_async_driver(given, expected):
    assert DatabaseSettings(_env_file=None, database_url=given).database_url == expected


def test_libpq_sslmode_becomes_db_ssl_mode(monkeypatch):
    monkeypatch.delenv("DB_SSL_MODE", raising=False)
    settings = DatabaseSettings(_env_file=None, database_url="postgres://u@db/app?sslmode=require")
    assert settings.database_url == "postgresql+asyncpg://u@db/app"
    assert settings.effective_ssl_mode == "require"
    monkeypatch.setenv("DB_SSL_MODE", "disable")
    with pytest.raises(ValidationError, match="DB_SSL_MODE"):
        DatabaseSettings(_env_file=None, database_url="postgres://u@db/app?sslmode=require")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://u:hunter2secret@db/app", "postgresql+asyncpg://"),
        ("postgresql+pg8000://u:hunter2secret@db/app", "postgresql+asyncpg://"),
        ("sqlite+pysqlcipher:///x.db", "sqlite+aiosqlite:///"),
        ("var/courtside.db", "sqlite+aiosqlite:///"),
        ("postgresql://u:hunter2secret@db/app?application_name=x", "application_name"),
        ("postgresql://u:hunter2secret@db/app?sslmode=verify-full", "sslmode"),
    ],
)
def test_database_urls_the_app_cannot_use_are_refused_at_once(url, named):
    """Refused when the settings are read (`make run` migrates first, so it stops there),
    with the expected form in the message and without echoing the URL's password."""
    with pytest.raises(ValidationError) as info:
        DatabaseSettings(_env_file=None, database_url=url)
    assert named in str(info.value)
    assert "hunter2secret" not in str(info.value)


@pytest.mark.parametrize("scheme", ["sqlite", "postgresql", "postgres", "postgresql+psycopg2"])
async def test_the_app_serves_requests_on_each_common_url_form(
    scheme, monkeypatch, sqlite_url, postgres_url, engine, cache
):
    import httpx

    from courtside import db
    from courtside.main import create_app
    from courtside.settings import get_database_settings, reset_settings

    base = sqlite_url if scheme == "sqlite" else postgres_url
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://{base.split('://', 1)[1]}")
    reset_settings()
    own = db.build_engine(get_database_settings())
    db.use_engine(own)
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            teams = await http.get("/v1/teams")
            ready = await http.get("/health/ready")
        assert teams.status_code == 200, teams.text
        assert ready.status_code == 200, ready.text
    finally:
        await own.dispose()
        db.use_engine(engine)
        monkeypatch.delenv("DATABASE_URL")
        reset_settings()


# --- the `.env` source, consulted only when it holds values (courtside.settings_source) ---


def test_a_dotenv_file_is_still_read(monkeypatch, tmp_path):
    monkeypatch.delenv("CACHE_TTL_SECONDS", raising=False)
    monkeypatch.delenv("LEAGUE_TIMEZONE", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("CACHE_TTL_SECONDS=17\nLEAGUE_TIMEZONE=America/Chicago\n")
    assert CacheSettings(_env_file=env_file).cache_ttl_seconds == 17
    assert AppSettings(_env_file=env_file).league_timezone == "America/Chicago"
    monkeypatch.chdir(tmp_path)  # the default `.env`, relative to the working directory
    assert CacheSettings().cache_ttl_seconds == 17
    monkeypatch.setenv("CACHE_TTL_SECONDS", "18")  # the environment still wins
    assert CacheSettings().cache_ttl_seconds == 18


def test_without_a_dotenv_file_its_source_is_not_walked(monkeypatch, tmp_path):
    """The `.env` source walks every field even with no file; with no values it is left out
    (the cold start's saving), and the settings are the same as with it."""
    from pydantic_settings import DotEnvSettingsSource

    monkeypatch.chdir(tmp_path)  # no `.env` here
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CACHE_TTL_SECONDS", "21")
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("DB_SCHEMA", "analytics")
    classes = (AppSettings, DatabaseSettings, CacheSettings)
    with_the_source = [_with_every_source(cls)().model_dump() for cls in classes]
    walked = []
    real_call = DotEnvSettingsSource.__call__

    def counting_call(self):
        walked.append(type(self))
        return real_call(self)

    monkeypatch.setattr(DotEnvSettingsSource, "__call__", counting_call)
    built = [cls() for cls in classes]
    assert walked == []
    assert all(issubclass(cls, EnvSettings) for cls in classes)
    assert [b.model_dump() for b in built] == with_the_source
    (tmp_path / ".env").write_text("REDIS_URL=redis://localhost:6379/3\n")
    assert CacheSettings().redis_url == "redis://localhost:6379/3"
    assert walked == [DotEnvSettingsSource]


def _with_every_source(cls: type[EnvSettings]) -> type[EnvSettings]:
    """`cls` reading its `.env` source whatever it holds (pydantic-settings' default)."""

    def every_source(
        _cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    return type("EverySource", (cls,), {"settings_customise_sources": classmethod(every_source)})
