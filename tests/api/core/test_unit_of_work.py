"""The unit of work: hooks run after a successful commit, all of them; never after a
failed commit or a rollback; a failing hook is logged and the others still run; a route
that raises commits nothing."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from courtside import unit_of_work
from courtside.auth.deps import AdminUser
from courtside.models import FeatureFlag, User
from courtside.unit_of_work import Hook, NoUnitOfWork, UnitOfWork, UnitOfWorkDep
from tests.helpers import both_dialects

from ..auth.helpers import make_user, user_headers


def _recorder(calls: list[str], name: str) -> Hook:
    async def hook() -> None:
        calls.append(name)

    return hook


@both_dialects
async def test_successful_commit_runs_every_hook_in_order(session):
    work = unit_of_work.of(session)
    calls: list[str] = []
    for name in ("a", "b", "c"):
        work.on_commit(_recorder(calls, name))
    session.add(FeatureFlag(name="uow_ok", enabled=True))
    assert calls == []  # nothing before the commit
    await work.commit()
    assert calls == ["a", "b", "c"]
    assert work.pending == 0
    await work.commit()  # the next commit runs nothing again
    assert calls == ["a", "b", "c"]


@both_dialects
async def test_failed_commit_runs_no_hook(session):
    work = unit_of_work.of(session)
    calls: list[str] = []
    work.on_commit(_recorder(calls, "invalidate"))
    work.on_commit(_recorder(calls, "notify"))
    session.add(User(username=None, email="x@example.com", password_hash="x"))  # NOT NULL
    with pytest.raises(IntegrityError):
        await work.commit()
    assert calls == []
    assert work.pending == 0  # dropped, not kept for a later commit
    await work.rollback()
    session.add(FeatureFlag(name="uow_after_failure", enabled=True))
    await work.commit()
    assert calls == []


@both_dialects
async def test_rollback_drops_the_hooks(session):
    work = unit_of_work.of(session)
    calls: list[str] = []
    work.on_commit(_recorder(calls, "x"))
    session.add(FeatureFlag(name="uow_rolled_back", enabled=True))
    await work.rollback()
    await work.commit()
    assert calls == []
    assert await session.get(FeatureFlag, "uow_rolled_back") is None


async def test_a_failing_hook_is_logged_and_the_others_run(session, caplog):
    work = unit_of_work.of(session)
    calls: list[str] = []

    async def broken() -> None:
        raise RuntimeError("redis is down")

    work.on_commit(_recorder(calls, "first"))
    work.on_commit(broken)
    work.on_commit(_recorder(calls, "last"))
    with caplog.at_level(logging.ERROR, logger="courtside.unit_of_work"):
        await work.commit()
    assert calls == ["first", "last"]
    assert "after-commit hook" in caplog.text and "redis is down" in caplog.text


async def test_a_keyed_hook_runs_once(session):
    work = unit_of_work.of(session)
    calls: list[str] = []
    for _ in range(3):
        work.on_commit(_recorder(calls, "user-7"), key=("auth-user", 7))
    work.on_commit(_recorder(calls, "user-8"), key=("auth-user", 8))
    await work.commit()
    assert calls == ["user-7", "user-8"]


async def test_a_session_without_a_unit_of_work_is_refused(connection):
    from courtside.db import get_sessionmaker

    async with get_sessionmaker()() as bare:
        with pytest.raises(NoUnitOfWork):
            unit_of_work.on_commit(bare, _recorder([], "lost"))


async def test_the_context_manager_commits_or_rolls_back(connection):
    calls: list[str] = []
    async with unit_of_work.unit_of_work() as work:
        work.session.add(FeatureFlag(name="uow_cm_ok", enabled=True))
        work.on_commit(_recorder(calls, "committed"))
    assert calls == ["committed"]

    async def refused() -> None:
        async with unit_of_work.unit_of_work() as work:
            work.session.add(FeatureFlag(name="uow_cm_failed", enabled=True))
            work.on_commit(_recorder(calls, "never"))
            raise LookupError("refused")

    with pytest.raises(LookupError):
        await refused()
    assert calls == ["committed"]
    async with unit_of_work.unit_of_work() as work:
        names = set(await work.session.scalars(select(FeatureFlag.name)))
    assert "uow_cm_ok" in names and "uow_cm_failed" not in names


@pytest.fixture
def uow_routes(app):
    """Routes that write through the request's unit of work, then succeed or fail."""
    router = APIRouter()
    calls: list[str] = []

    async def _write(work: UnitOfWork, name: str) -> None:
        work.session.add(FeatureFlag(name=name, enabled=True))
        await work.session.flush()
        work.on_commit(_recorder(calls, name))

    @router.post("/test-only/uow/ok")
    async def ok(_admin: AdminUser, work: UnitOfWorkDep) -> dict[str, int]:
        await _write(work, "uow_route_ok")
        return {"pending": work.pending}

    @router.post("/test-only/uow/fail")
    async def fail(_admin: AdminUser, work: UnitOfWorkDep) -> dict[str, int]:
        await _write(work, "uow_route_fail")
        from courtside.errors import ApiError

        raise ApiError(409, "refused", "Refused after writing.")

    @router.post("/test-only/uow/bad-commit")
    async def bad_commit(_admin: AdminUser, work: UnitOfWorkDep) -> dict[str, int]:
        await _write(work, "uow_route_bad")
        work.session.add(User(username=None, email="y@example.com", password_hash="y"))
        return {"pending": work.pending}

    app.include_router(router)
    return calls


async def test_a_route_commits_when_it_returns_and_not_when_it_raises(client, session, uow_routes):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    response = await client.post("/test-only/uow/ok", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"pending": 1}  # the hook waited for the commit...
    assert uow_routes == ["uow_route_ok"]  # ...which ran it before the response left
    assert (await client.post("/test-only/uow/fail", headers=headers)).status_code == 409
    assert uow_routes == ["uow_route_ok"]
    count = select(func.count()).select_from(FeatureFlag).where(FeatureFlag.name.like("uow_%"))
    assert await session.scalar(count) == 1


async def test_a_route_whose_commit_fails_answers_an_error_and_runs_no_hook(
    client, session, uow_routes
):
    admin = await make_user(session, role="Admin")
    response = await client.post("/test-only/uow/bad-commit", headers=user_headers(admin))
    assert response.status_code == 409  # the IntegrityError handler: never a false 200
    assert uow_routes == []
