"""Test harness: a fresh PostgreSQL database and SQLite file per run (per pytest-xdist worker),
a Redis key prefix per test, and per-test isolation by rolling back one connection's transaction.

- `TEST_DATABASE_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`) names the
  server; each run (each worker of a `-n` run) creates `courtside_test_<random>_<worker>` there
  and drops it at the end.
- `TEST_REDIS_URL` (default `redis://127.0.0.1:6379/0`); each run (each worker) uses its own key
  prefix and deletes its keys at the end.
- Under pytest-xdist (`make test` runs `-n 2 --dist loadfile`), each worker has its own
  database and prefix, and tests that share a costly module- or session-scoped fixture run on
  one worker: see `tests.distribution`.

Fixtures most tests want: `client` (an httpx client on a fresh app), `session` (the same
rolled-back connection the app uses). Both default to PostgreSQL; run a test on both
dialects with `@both_dialects` from `tests.helpers`.
Tests that need real concurrent connections and committed data use `committed_engine`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler.protocol import Scheduling

    from tests.servers import OwnRedis

os.environ.setdefault("ENVIRONMENT", "local")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The cheapest Argon2id the settings accept (their own lower bounds, t=1, m=8 MiB): ~5 ms of
# CPU a hash or verification instead of ~27 ms at the defaults (t=2, m=19 MiB). Counted
# 2026-12-06: tests/api/auth, tests/api/betting and tests/browser/test_web_flow.py hash or
# verify 193 times (`make_user` reuses one hash), so ~4 s of CPU there. Only the parameters
# change: the same Argon2id code runs, rehashing on a parameter change is still tested
# (tests/api/auth/test_passwords.py), and a deployment never reads this file.
os.environ.setdefault("PASSWORD_HASH_TIME_COST", "1")
os.environ.setdefault("PASSWORD_HASH_MEMORY_KIB", "8192")
for _name in ("DATABASE_URL", "REDIS_URL", "REDIS_HOST", "DATABASE_SECRET_ARN"):
    os.environ.pop(_name, None)

import httpx  # noqa: E402
from sqlalchemy import make_url, text  # noqa: E402
from sqlalchemy.ext.asyncio import (  # noqa: E402
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)

from courtside import cache as cache_module  # noqa: E402
from courtside import db  # noqa: E402
from courtside.models import Base  # noqa: E402
from courtside.settings import get_database_settings, reset_settings  # noqa: E402

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
"""`gw0`, `gw1`, ... in a pytest-xdist worker; `main` in a plain run."""
RUN_ID = f"{uuid.uuid4().hex[:10]}_{WORKER}"
REDIS_PREFIX = f"courtside-test-{RUN_ID}"


def _async_pg_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


SERVER_URL = _async_pg_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def admin_sql(sql: str) -> None:
    """Run `sql` on the server's maintenance database, outside a transaction (CREATE/DROP
    DATABASE)."""
    engine = create_async_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def _migrate(url: str) -> None:
    from courtside.migrate import upgrade

    upgrade(url)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database created for this run on the test server, migrated to head."""
    name = f"courtside_test_{RUN_ID}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "courtside.db"
    url = f"sqlite+aiosqlite:///{path}"
    _migrate(url)
    return url


@pytest.fixture(scope="session")
async def engines(postgres_url: str, sqlite_url: str) -> AsyncIterator[dict[str, AsyncEngine]]:
    settings = get_database_settings()
    built = {
        "postgres": db.build_engine(settings, url=postgres_url),
        "sqlite": db.build_engine(settings, url=sqlite_url),
    }
    yield built
    for engine in built.values():
        await engine.dispose()


@pytest.fixture
def dialect(request: pytest.FixtureRequest) -> str:
    """`postgres` unless a test is parametrized with `@both_dialects`."""
    return getattr(request, "param", "postgres")


@pytest.fixture
def engine(engines: dict[str, AsyncEngine], dialect: str) -> AsyncEngine:
    return engines[dialect]


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection in a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        db.use_connection(conn)
        try:
            yield conn
        finally:
            if transaction.is_active:
                await transaction.rollback()
            db.use_engine(engine)


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session owned by a unit of work, so services may register after-commit hooks
    (`unit_of_work.of(session).commit()` runs them; `session.commit()` does not)."""
    from courtside.unit_of_work import UnitOfWork

    async with db.get_sessionmaker()() as sess:
        UnitOfWork(sess)
        yield sess


@pytest.fixture
async def redis_client() -> AsyncIterator[object]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    yield client
    await client.aclose()


@pytest.fixture
async def cache(redis_client: object) -> AsyncIterator[cache_module.Cache]:
    """The app's cache on the real Redis, under a prefix no other test shares."""
    backend = cache_module.RedisBackend(redis_client)  # type: ignore[arg-type]
    test_cache = cache_module.Cache(
        backend, prefix=f"{REDIS_PREFIX}:{uuid.uuid4().hex[:8]}", retry_after_seconds=5
    )
    cache_module.use_cache(test_cache)
    yield test_cache
    cache_module.use_cache(None)
    await test_cache.close()  # also stops retrying an invalidation a test made fail


@pytest.fixture
async def app(connection: AsyncConnection, cache: cache_module.Cache) -> AsyncIterator[object]:
    """A fresh app whose sessions join the test's rolled-back connection."""
    reset_settings()
    from courtside.main import create_app

    yield create_app()
    reset_settings()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def committed_engine(
    engines: dict[str, AsyncEngine], dialect: str
) -> AsyncIterator[AsyncEngine]:
    """The engine with real commits (concurrency tests); every table is emptied afterwards."""
    engine = engines[dialect]
    db.use_engine(engine)
    yield engine
    await truncate_all(engine)
    db.use_engine(engine)


async def truncate_all(engine: AsyncEngine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session", autouse=True)
def _drop_redis_keys() -> Iterator[None]:
    yield

    async def drop() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        try:
            keys = [key async for key in client.scan_iter(match=f"{REDIS_PREFIX}*", count=500)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    asyncio.run(drop())


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Scheduling | None:
    """`--dist loadfile` (what `make test` runs) as `tests.distribution` plans it."""
    if config.getoption("dist") != "loadfile":
        return None
    from tests.distribution import SuiteScheduling

    return SuiteScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker: the tests with a costly setup of their own come first, so the
    scheduler hands those out first (`tests.distribution`). A plain run keeps file order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.distribution import costly_setups_first

        items[:] = costly_setups_first(items)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server of the test's own on a free port of 127.0.0.1, which it may pause,
    kill and restart (the shared one on 6379 is never touched)."""
    from tests.servers import OwnRedis  # lazy: starts processes; most tests never need it

    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()
