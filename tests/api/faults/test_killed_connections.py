"""The app's database connections killed under load: every answer complete, or a clean 503.

A connection can die between a request's last query and the session's close, which runs
after the response has started; the rollback in that close then fails. It must never reach
Starlette ("Caught handled exception, but response already started"): uvicorn would abort the
keep-alive connection and the client would see a protocol error instead of its answer. Nor
may a connection killed while it is being set up (asyncpg's raw "connection is closed", which
the catch-all handler answers 503 and Starlette then re-raises) reach uvicorn.

One app under uvicorn on a PostgreSQL cluster this module starts for itself (so
`pg_terminate_backend` touches nothing but the app's own backends) and no Redis: every
request reads its user from the database, so every request opens a transaction that the
close must roll back. 16 keep-alive connections on `GET /v1/me` and `GET /v1/me/bets` while
every backend of the app's database is terminated every 0.25 s, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import db
from courtside.models import utcnow
from courtside.settings import get_database_settings
from courtside.unit_of_work import UnitOfWork
from tests.api.auth.helpers import make_user, token
from tests.helpers import make_game, make_odds, make_teams
from tests.servers import AppInstance, OwnPostgres

pytestmark = pytest.mark.postgres_only

CONNECTIONS = 16
KILLS = 40
KILL_EVERY = 0.25
MAX_REQUESTS = 20_000
TERMINATE_APP_BACKENDS = (
    # Materialized first: the planner would otherwise call the function before filtering.
    "WITH app AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
    "WHERE datname = 'courtside' AND pid <> pg_backend_pid()) "
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM app"
)
SETTINGS = {
    "DB_STATEMENT_TIMEOUT_SECONDS": "2",
    "DB_POOL_TIMEOUT_SECONDS": "1",
    "DB_CONNECT_TIMEOUT_SECONDS": "2",
    "DB_POOL_SIZE": "4",
    "DB_MAX_OVERFLOW": "4",
    "USER_STATE_CACHE_SECONDS": "0",  # every request reads its user: a transaction to close
    "LOG_LEVEL": "WARNING",
}


@dataclass
class Stack:
    postgres: OwnPostgres
    app: AppInstance
    bearer: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("killed-connections")
    postgres = OwnPostgres().start()
    app = None
    try:
        postgres.psql("CREATE DATABASE courtside")
        url = postgres.url("courtside")
        from courtside.migrate import upgrade

        upgrade(url)
        bearer = asyncio.run(_fill(url))
        app = AppInstance({"DATABASE_URL": url, **SETTINGS}, workdir / "app.log")
        yield Stack(postgres, app, bearer)
    finally:
        if app is not None:
            app.stop()
        postgres.destroy()


async def _fill(url: str) -> str:
    """A user with a few bets; their bearer token."""
    engine = db.build_engine(get_database_settings(), url=url, bounded=False)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            work = UnitOfWork(session)  # placing a bet invalidates the records after the commit
            teams = list((await make_teams(session)).values())
            user = await make_user(session)
            from courtside.services import placing

            for n in range(3):
                game = await make_game(
                    session, teams[n], teams[n + 1], utcnow() + timedelta(days=1, hours=n)
                )
                await make_odds(session, game, -150, 130, utcnow() - timedelta(hours=1))
                await placing.place_bet(
                    session, user_id=user.id, game_id=game.id, side="home", stake_cents=500
                )
            await work.commit()
            return token(user)
    finally:
        await engine.dispose()


async def test_killed_connections_never_abort_a_response(stack: Stack) -> None:
    paths = ["/v1/me", "/v1/me/bets"]
    headers = {"Authorization": f"Bearer {stack.bearer}"}
    statuses: list[int] = []
    errors: list[str] = []
    done = asyncio.Event()
    log_offset = stack.app.log.stat().st_size

    async def worker(number: int, http: httpx.AsyncClient) -> None:
        turn = number
        while not done.is_set() and len(statuses) + len(errors) < MAX_REQUESTS:
            path = paths[turn % len(paths)]
            turn += 1
            try:
                response = await http.get(stack.app.base + path, headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            statuses.append(response.status_code)
            if response.status_code == 503:
                assert response.headers.get("retry-after") == "5"
                assert response.json()["error"]["code"] == "service_unavailable"

    async def killer() -> None:
        killed = 0
        try:
            for _ in range(KILLS):
                await asyncio.sleep(KILL_EVERY)
                output = await asyncio.to_thread(
                    stack.postgres.psql,
                    TERMINATE_APP_BACKENDS,
                )
                killed += int(output.strip() or 0)
        finally:
            done.set()
        assert killed >= KILLS, f"only {killed} backends were terminated"

    timeout = httpx.Timeout(30)
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        await asyncio.gather(killer(), *(worker(n, http) for n in range(CONNECTIONS)))
    assert time.monotonic() - started < 120

    with stack.app.log.open() as log:
        log.seek(log_offset)
        lines = log.read().splitlines()
    assert len(statuses) > 200, "the load generator did not run"
    assert errors == [], errors[:5]
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) > len(statuses) // 2
    assert [line for line in lines if "unhandled error" in line] == []
    assert [line for line in lines if "response already started" in line] == []
    assert [line for line in lines if "Exception in ASGI application" in line] == []
