"""Sign-out, deactivation and demotion hold on every instance, whatever Redis does.

Two real app instances (two uvicorn processes, so two caches and nothing shared in
memory) on one PostgreSQL database and one Redis of our own, which the test snapshots,
kills and brings back with its old data (as a restarted or failed-over Redis would). A
token revoked on instance A during the outage must be refused by instance B during the
outage, and after Redis returns once B's cache window (`USER_STATE_CACHE_SECONDS`) has
passed, even though Redis comes back holding B's cached "still valid" entries.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.helpers import both_dialects
from tests.servers import AppInstance, OwnRedis

from .helpers import PASSWORD, make_user, token, user_headers

REPO = Path(__file__).resolve().parents[3]
CACHE_WINDOW = 2  # USER_STATE_CACHE_SECONDS of both instances
RETRY_WINDOW = 0.2  # REDIS_RETRY_AFTER_FAILURE_SECONDS


@pytest.fixture
async def instances(
    postgres_url: str, own_redis: OwnRedis, committed_engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    """Base URLs of instances A and B (data committed here is truncated afterwards)."""
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": own_redis.url,
        "USER_STATE_CACHE_SECONDS": str(CACHE_WINDOW),
        "REDIS_RETRY_AFTER_FAILURE_SECONDS": str(RETRY_WINDOW),
        "REDIS_SOCKET_TIMEOUT_SECONDS": "0.25",
    }
    started = await asyncio.gather(
        *(asyncio.to_thread(AppInstance, env, tmp_path / f"{name}.log") for name in ("a", "b"))
    )
    try:
        yield started[0].base, started[1].base
    finally:
        for instance in started:
            instance.stop()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def _me(base: str, bearer: str) -> int:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code in (200, 401), response.text
    return response.status_code


async def test_revocations_survive_a_redis_outage_on_every_instance(
    instances: tuple[str, str], own_redis: OwnRedis, committed_engine: AsyncEngine
) -> None:
    a, b = instances
    async with AsyncSession(committed_engine, expire_on_commit=False) as session:
        admin = await make_user(session, role="Admin")
        signed_out = await make_user(session)
        deactivated = await make_user(session)
        demoted = await make_user(session, role="Admin")
        survivor = await make_user(session)

    browser = httpx.AsyncClient(base_url=a, timeout=5)
    async with browser:
        page = await browser.get("/login")
        login = await browser.post(
            "/login",
            data={
                "username": signed_out.username,
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
            },
        )
        assert login.status_code == 303, login.text
        session_token = browser.cookies["courtside_session"]
        tokens = {
            "signed out": session_token,
            "deactivated": token(deactivated),
            "demoted": token(demoted),
        }
        kept = token(survivor)

        for value in [*tokens.values(), kept]:  # B caches every one as valid, in Redis
            assert await _me(b, value) == 200
        cached_at = time.monotonic()

        own_redis.save()  # what Redis will come back with: B's "valid" entries
        own_redis.kill()

        csrf = _csrf((await browser.get("/", follow_redirects=True)).text)
        assert (await browser.post("/logout", data={"csrf_token": csrf})).status_code == 303
        async with httpx.AsyncClient(base_url=a, timeout=5, headers=user_headers(admin)) as api:
            off = await api.patch(f"/v1/admin/users/{deactivated.id}", json={"is_active": False})
            assert off.status_code == 200, off.text
            down = await api.patch(f"/v1/admin/users/{demoted.id}", json={"role": "Consumer"})
            assert down.status_code == 200, down.text

    for name, value in tokens.items():  # during the outage: at once, on both instances
        assert (await _me(b, value), await _me(a, value)) == (401, 401), name
    assert (await _me(b, kept), await _me(a, kept)) == (200, 200)

    own_redis.start()  # back, with the entries cached before the outage
    await asyncio.sleep(max(0.0, cached_at + CACHE_WINDOW + RETRY_WINDOW + 0.3 - time.monotonic()))
    for _ in range(3):  # past the cache window: refused everywhere, and it stays so
        for name, value in tokens.items():
            assert (await _me(b, value), await _me(a, value)) == (401, 401), name
        assert (await _me(b, kept), await _me(a, kept)) == (200, 200)


async def test_one_indexed_query_on_a_cache_miss_none_on_a_hit(client, session, engine):
    """The hot path: what every authenticated request costs the database."""
    user = await make_user(session)
    headers = user_headers(user)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert (await client.get("/v1/me", headers=headers)).status_code == 200
        miss = [s for s in statements if "SAVEPOINT" not in s.upper()]
        statements.clear()
        assert (await client.get("/v1/me", headers=headers)).status_code == 200
        hit = [s for s in statements if "SAVEPOINT" not in s.upper()]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(miss) == 1, miss
    assert "revoked_tokens" in miss[0] and "rest_api_users" in miss[0]
    assert hit == []


@both_dialects
async def test_revoking_is_idempotent_and_prunes_expired_records(session):
    from sqlalchemy import select

    from courtside.auth import revocation
    from courtside.models import RevokedToken

    user = await make_user(session)
    now = int(time.time())
    await revocation.revoke(session, jti="old-one", user_id=user.id, expires_at=now - 60)
    await revocation.revoke(session, jti="live-one", user_id=user.id, expires_at=now + 600)
    await revocation.revoke(session, jti="live-one", user_id=user.id, expires_at=now + 600)
    await session.commit()
    assert set(await session.scalars(select(RevokedToken.jti))) == {"live-one"}
