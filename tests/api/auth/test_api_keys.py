"""API keys: created by an Admin (secret shown once), used via X-API-Key, revoked."""

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any, cast

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import select

from courtside.auth.deps import AuthApiKey, require_scope
from courtside.models import ApiKey, AuditEvent, User, utcnow

from .helpers import make_key, make_user, user_headers


@pytest.fixture
def machine_routes(app):
    """Two machine routes on the test's app, so keys are tested without other features."""
    router = APIRouter()

    @router.get("/test-only/read")
    async def read(key: Annotated[AuthApiKey, Depends(require_scope("read"))]) -> dict[str, Any]:
        return {"id": key.id, "name": key.name, "scope": key.scope}

    @router.post("/test-only/write")
    async def write(key: Annotated[AuthApiKey, Depends(require_scope("write"))]) -> dict[str, Any]:
        return {"id": key.id, "scope": key.scope}

    app.include_router(router)
    return app


async def _create(
    client: httpx.AsyncClient, admin: User, scope: str = "write", name: str = "pipeline"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/admin/api-keys", json={"name": name, "scope": scope}, headers=user_headers(admin)
    )
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


async def test_create_shows_secret_once_and_stores_only_hash(client, session):
    admin = await make_user(session, role="Admin")
    created = await _create(client, admin)
    key = created["key"]
    assert key.startswith(f"cs_{created['prefix']}_")
    secret = key.split("_", 2)[2]
    row = (await session.execute(select(ApiKey).where(ApiKey.id == created["id"]))).scalar_one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row.secret_hash
    listed = await client.get("/v1/admin/api-keys", headers=user_headers(admin))
    assert listed.status_code == 200
    assert secret not in listed.text
    assert "key" not in listed.json()["items"][0]
    one = await client.get(f"/v1/admin/api-keys/{created['id']}", headers=user_headers(admin))
    assert secret not in one.text
    assert created["created_by_id"] == admin.id


async def test_use_scope_and_revoke(client, session, machine_routes):
    admin = await make_user(session, role="Admin")
    write = await _create(client, admin, "write", "writer")
    read = await _create(client, admin, "read", "reader")
    w, r = {"X-API-Key": write["key"]}, {"X-API-Key": read["key"]}
    assert (await client.get("/test-only/read", headers=w)).status_code == 200  # write ⊇ read
    assert (await client.get("/test-only/read", headers=r)).json()["name"] == "reader"
    assert (await client.get("/test-only/read", headers=r)).headers["cache-control"] == (
        "private, no-store"
    )
    assert (await client.post("/test-only/write", headers=w)).status_code == 200
    denied = await client.post("/test-only/write", headers=r)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "insufficient_scope"
    revoked = await client.post(
        f"/v1/admin/api-keys/{write['id']}/revoke", headers=user_headers(admin)
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = await client.post("/test-only/write", headers=w)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "revoked_api_key"
    again = await client.post(
        f"/v1/admin/api-keys/{write['id']}/revoke", headers=user_headers(admin)
    )
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_audit_events_for_create_and_revoke(client, session):
    admin = await make_user(session, role="Admin")
    created = await _create(client, admin)
    await client.post(f"/v1/admin/api-keys/{created['id']}/revoke", headers=user_headers(admin))
    events = (
        (
            await session.execute(
                select(AuditEvent)
                .where(AuditEvent.target == f"api_key:{created['id']}")
                .order_by(AuditEvent.id)
            )
        )
        .scalars()
        .all()
    )
    assert [e.action for e in events] == ["api_key.create", "api_key.revoke"]
    assert {e.actor_name for e in events} == {admin.username}
    assert all(created["key"].split("_", 2)[2] not in str(e.details) for e in events)


@pytest.mark.parametrize(
    "presented",
    [
        "nonsense",
        "cs_short_x",
        "cs_000000000000_" + "A" * 43,
        "Bearer cs_000000000000_" + "A" * 43,
    ],
)
async def test_bad_keys_are_401(client, session, machine_routes, presented):
    response = await client.get("/test-only/read", headers={"X-API-Key": presented})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def test_right_prefix_wrong_secret_is_401(client, session, machine_routes):
    key = await make_key(session, "read")
    prefix = key.split("_")[1]
    forged = f"cs_{prefix}_" + "B" * 43
    response = await client.get("/test-only/read", headers={"X-API-Key": forged})
    assert response.status_code == 401


async def test_no_key_401_user_token_403(client, session, machine_routes):
    assert (await client.get("/test-only/read")).status_code == 401
    user = await make_user(session, role="Admin")
    response = await client.get("/test-only/read", headers=user_headers(user))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_required"


async def test_last_used_at_written_at_most_once_a_minute(client, session, machine_routes):
    key = await make_key(session, "read")
    prefix = key.split("_")[1]

    async def last_used() -> datetime | None:
        value: datetime | None = (
            await session.execute(
                select(ApiKey.last_used_at)
                .where(ApiKey.prefix == prefix)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return value

    assert await last_used() is None
    await client.get("/test-only/read", headers={"X-API-Key": key})
    first = await last_used()
    assert first is not None
    await client.get("/test-only/read", headers={"X-API-Key": key})
    assert await last_used() == first  # within the interval: not written again
    row = (await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))).scalar_one()
    row.last_used_at = utcnow() - timedelta(minutes=2)
    await session.commit()
    await client.get("/test-only/read", headers={"X-API-Key": key})
    latest = await last_used()
    assert latest is not None
    assert latest > utcnow() - timedelta(minutes=1)


async def test_create_validation(client, session):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    for body in (
        {"name": "x", "scope": "write"},
        {"name": "ok-name", "scope": "admin"},
        {"name": "ok-name"},
        {"name": "<b>", "scope": "read"},
        {"name": "ok-name", "scope": "read", "extra": 1},
    ):
        response = await client.post("/v1/admin/api-keys", json=body, headers=headers)
        assert response.status_code == 422, body
    missing = await client.post("/v1/admin/api-keys/999999/revoke", headers=headers)
    assert missing.status_code == 404
