"""`session_reads`: a GET's request session reads in autocommit on PostgreSQL (no BEGIN, no
ROLLBACK) until it is about to write or lock; then, and for every other method, it is the
transaction it always was; and its connection goes back to the pool in the default mode."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import Request

from courtside import db
from courtside.main import create_app
from courtside.models import FeatureFlag
from courtside.settings import reset_settings
from courtside.unit_of_work import UnitOfWork, unit_of_work
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


@pytest.fixture
async def flag_name(one_connection: AsyncEngine) -> AsyncIterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    async with one_connection.begin() as connection:
        await connection.execute(delete(FeatureFlag).where(FeatureFlag.name == name))


async def _request_session(method: str) -> tuple[AsyncSession, Any]:
    """`db.get_session` as FastAPI runs it for a request with `method`."""
    scope = {"type": "http", "method": method, "headers": [], "path": "/"}
    sessions = db.get_session(Request(scope))
    return await anext(sessions), sessions


async def _close(sessions: Any) -> None:
    with pytest.raises(StopAsyncIteration):
        await anext(sessions)


async def _flag_exists(engine: AsyncEngine, name: str) -> bool:
    async with engine.connect() as connection:
        found = await connection.scalar(select(FeatureFlag.name).where(FeatureFlag.name == name))
    return found is not None


def _begins(sent: list[str]) -> int:
    return sum(query.startswith("BEGIN") for query in sent)


async def test_a_gets_reads_send_no_begin_or_rollback(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, sessions = await _request_session("GET")
    with sent_to_driver(monkeypatch) as sent:
        for _ in range(3):
            assert await session.scalar(text("SELECT 1")) == 1
        await _close(sessions)
    assert sent == []
    # the same (only) connection, back in the pool: a plain session begins again
    assert await session_begins(pool_of_one, monkeypatch)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_any_other_method_runs_in_a_transaction(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    session, sessions = await _request_session(method)
    with sent_to_driver(monkeypatch) as sent:
        assert await session.scalar(text("SELECT 1")) == 1
        await _close(sessions)
    assert _begins(sent) == 1 and sent[-1].startswith("ROLLBACK")


async def test_a_get_taken_by_a_unit_of_work_writes_in_one_transaction(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch, flag_name: str
) -> None:
    """Reads first (autocommit), then a unit of work: its writes are one transaction, even
    one sent on the session's connection (no ORM event sees it), so its rollback (an error
    after the first write) leaves nothing behind; a commit keeps them."""
    session, sessions = await _request_session("GET")
    with sent_to_driver(monkeypatch) as sent:
        assert await session.scalar(text("SELECT 1")) == 1
        assert sent == []
        work = UnitOfWork(session)
        connection = await session.connection()
        await connection.execute(insert(FeatureFlag).values(name=flag_name, enabled=True))
        await work.rollback()
    assert _begins(sent) == 1
    assert not await _flag_exists(pool_of_one, flag_name)
    session.add(FeatureFlag(name=flag_name, enabled=True))
    await work.commit()
    await _close(sessions)
    assert await _flag_exists(pool_of_one, flag_name)


async def test_a_write_without_a_unit_of_work_is_discarded_as_before(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch, flag_name: str
) -> None:
    """A flush on a GET's session begins a transaction first (it does not autocommit), and
    the close rolls it back, as it did when every request session began one."""
    session, sessions = await _request_session("GET")
    assert await session.scalar(text("SELECT 1")) == 1
    with sent_to_driver(monkeypatch) as sent:
        session.add(FeatureFlag(name=flag_name, enabled=True))
        await session.flush()
        await _close(sessions)
    assert _begins(sent) == 1 and sent[-1].startswith("ROLLBACK")
    assert not await _flag_exists(pool_of_one, flag_name)


async def test_a_lock_taken_in_a_get_lasts_until_its_session_ends(
    pool_of_one: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, sessions = await _request_session("GET")
    await session.execute(text("SELECT 1"))
    with sent_to_driver(monkeypatch) as sent:
        await session.execute(select(FeatureFlag).with_for_update())
        assert _begins(sent) == 1  # before the SELECT ... FOR UPDATE
        await _close(sessions)
    assert sent[-1].startswith("ROLLBACK")


async def test_signed_in_pages_send_no_begin_and_a_bet_still_commits(
    committed_engine: AsyncEngine, cache: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the app, with the process's engine (not a test's shared connection): the board
    and the record read without BEGIN or ROLLBACK; placing a bet (a POST) is a transaction
    that commits."""
    async with unit_of_work() as work:
        slate = await make_slate(work.session, games=2)
        user = await make_user(work.session, commit=False)
    reset_settings()
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        sign_in(client, user)
        with sent_to_driver(monkeypatch) as sent:
            board = await client.get("/", headers=HTML)
            record = await client.get("/record", headers=HTML)
        assert board.status_code == record.status_code == 200
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
