"""`session_reads`: a GET's plain column reads (`page_reads.read_columns`) send no BEGIN on
PostgreSQL when no transaction is open on the session's connection, and run inside the open
one otherwise; every other statement, and every other method, begins as it always did; the
adapter's flag is put back after each read, also when it fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request

from courtside import db
from courtside.main import create_app
from courtside.models import FeatureFlag
from courtside.services.page_reads import read_columns
from courtside.settings import reset_settings
from courtside.unit_of_work import unit_of_work
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, make_slate, sign_in
from tests.api.db.test_read_autocommit import one_connection, sent_to_driver, session_begins

pytestmark = pytest.mark.postgres_only

__all__ = ["one_connection"]  # a fixture this module uses


@pytest.fixture
async def pool_of_one(one_connection: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The process's engine is `one_connection` (a pool of one connection) for the test,
    its connection made (a new connection's first use talks: the dialect's first look)."""
    async with one_connection.connect() as connection:
        await connection.execute(text("SELECT 1"))
    saved = (db._engine, db._sessionmaker, db._reads, db._gets_read_in_autocommit)
    db.use_engine(one_connection)
    yield one_connection
    db._engine, db._sessionmaker, db._reads, db._gets_read_in_autocommit = saved


async def _request_session(method: str) -> tuple[AsyncSession, Any]:
    """`db.get_session` as FastAPI runs it for a request with `method`."""
    scope = {"type": "http", "method": method, "headers": [], "path": "/"}
    sessions = db.get_session(Request(scope))
    return await anext(sessions), sessions


async def _close(sessions: Any) -> None:
    with pytest.raises(StopAsyncIteration):
        await anext(sessions)


def _begins(sent: list[str]) -> int:
    return sum(query.startswith("BEGIN") for query in sent)


ONE = select(func.count()).select_from(FeatureFlag)
"""A plain column read, as the pages send them."""


def _in_transaction(session: AsyncSession) -> bool:
    """Whether the driver's connection under `session` has a transaction open (BEGIN sent)."""
    sync = session.sync_session.connection()
    return bool(sync.connection.driver_connection.is_in_transaction())  # type: ignore[union-attr]


def _adapter_autocommit(session: AsyncSession) -> bool:
    return bool(session.sync_session.connection().connection.dbapi_connection.autocommit)  # type: ignore[union-attr]


async def test_a_gets_column_reads_send_no_begin_and_its_close_no_rollback(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, sessions = await _request_session("GET")
    with sent_to_driver(monkeypatch) as sent:
        for _ in range(3):
            await read_columns(session, ONE, {})
        assert not _in_transaction(session) and not _adapter_autocommit(session)
        await _close(sessions)
    assert sent == []
    assert await session_begins(pool_of_one, monkeypatch)  # the connection, back: as before


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_any_other_method_reads_in_a_transaction(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    session, sessions = await _request_session(method)
    with sent_to_driver(monkeypatch) as sent:
        await read_columns(session, ONE, {})
        await _close(sessions)
    assert _begins(sent) == 1 and sent[-1].startswith("ROLLBACK")


async def test_any_other_statement_of_a_get_begins_as_before(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ORM read, text SQL, a lock: BEGIN first; a column read after them runs in that
    transaction (the lock still held), and the close rolls it back."""
    session, sessions = await _request_session("GET")
    with sent_to_driver(monkeypatch) as sent:
        await read_columns(session, ONE, {})
        assert sent == []
        await session.execute(text("SELECT pg_advisory_xact_lock(424242)"))
        assert _begins(sent) == 1 and _in_transaction(session)
        await read_columns(session, ONE, {})
        assert _in_transaction(session) and not _adapter_autocommit(session)
        held = await session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242")
        )
        assert held == 1
        await _close(sessions)
    assert _begins(sent) == 1 and sent[-1].startswith("ROLLBACK")


async def test_a_savepoint_after_a_column_read_works(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, sessions = await _request_session("GET")
    await read_columns(session, ONE, {})
    async with session.begin_nested():
        assert await session.scalar(text("SELECT 1")) == 1
    assert _in_transaction(session)
    await _close(sessions)


async def test_the_flag_is_put_back_when_a_read_fails(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, sessions = await _request_session("GET")
    with pytest.raises(Exception, match="division by zero"):
        await read_columns(session, select(text("1/0")), {})
    assert not _adapter_autocommit(session)
    await _close(sessions)
    assert await session_begins(pool_of_one, monkeypatch)


async def test_signed_in_pages_send_no_begin_and_a_bet_still_commits(
    committed_engine: AsyncEngine, cache: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the app, with the process's engine (not a test's shared connection): the board,
    a game page, the record and the admin's users read without BEGIN or ROLLBACK; placing a
    bet (a POST) is a transaction that commits."""
    async with unit_of_work() as work:
        slate = await make_slate(work.session, games=2)
        user = await make_user(work.session, commit=False)
        admin = await make_user(work.session, role="Admin", commit=False)
    reset_settings()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        sign_in(client, admin)
        await client.get("/admin/users", headers=HTML)  # the first reads may build the cache
        with sent_to_driver(monkeypatch) as sent:
            users = await client.get("/admin/users", headers=HTML)
        assert users.status_code == 200 and admin.username in users.text
        assert not [q for q in sent if q.startswith(("BEGIN", "ROLLBACK", "COMMIT"))], sent
        sign_in(client, user)
        await client.get("/", headers=HTML)
        with sent_to_driver(monkeypatch) as sent:
            board = await client.get("/", headers=HTML)
            game = await client.get(f"/games/{slate.games[0].id}", headers=HTML)
            record = await client.get("/record", headers=HTML)
        assert board.status_code == game.status_code == record.status_code == 200
        assert 'data-testid="bankroll"' in board.text
        assert not [q for q in sent if q.startswith(("BEGIN", "ROLLBACK", "COMMIT"))], sent
        form = {"csrf_token": csrf_from(board.text), "game_id": str(slate.games[0].id)}
        with sent_to_driver(monkeypatch) as sent:
            placed = await client.post(
                "/bets", data={**form, "side": "home", "stake": "10"}, headers=HTML
            )
    reset_settings()
    assert placed.status_code == 303 and "placed=" in placed.headers["location"]
    assert _begins(sent) >= 1 and any(q.startswith("COMMIT") for q in sent)


async def test_a_read_whose_connection_the_server_killed_fails_cleanly(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """PostgreSQL terminates the session's backend between two column reads: the next read
    raises a disconnect (which the app answers with a 503), the flag is put back, the close
    does not raise, and the pool's next session connects afresh and begins as before."""
    session, sessions = await _request_session("GET")
    await read_columns(session, ONE, {})
    pid = (await read_columns(session, select(func.pg_backend_pid()), {})).scalar_one()
    killer = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))  # beside the pool
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()
    with pytest.raises(DBAPIError) as raised:
        await read_columns(session, ONE, {})
    assert raised.value.connection_invalidated
    await _close(sessions)
    assert await session_begins(pool_of_one, monkeypatch)
