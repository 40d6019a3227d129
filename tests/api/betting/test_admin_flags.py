"""The feature-flags API: Admin only, audited, effective at once."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside import cache as cache_module
from courtside.models import AuditEvent
from courtside.services import flags
from tests.api.auth.helpers import make_user, user_headers
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects


async def _audit_actions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    return list(rows)


async def test_consumers_get_403_and_anonymous_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    consumer = await make_user(session)
    await session.commit()
    for method, path in [
        ("GET", "/v1/admin/flags"),
        ("POST", "/v1/admin/flags"),
        ("GET", "/v1/admin/flags/betting_open"),
        ("PATCH", "/v1/admin/flags/betting_open"),
        ("DELETE", "/v1/admin/flags/betting_open"),
    ]:
        body = {"name": "x_flag"} if method == "POST" else {"enabled": False}
        kwargs = {"json": body} if method in ("POST", "PATCH") else {}
        anonymous = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert anonymous.status_code == 401, (method, path)
        forbidden = await client.request(method, path, headers=user_headers(consumer), **kwargs)  # type: ignore[arg-type]
        assert forbidden.status_code == 403, (method, path)
    assert await _audit_actions(session) == []


@both_dialects
async def test_create_toggle_and_delete_flags(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role="Admin")
    await session.commit()
    headers = user_headers(admin)

    listed = (await client.get("/v1/admin/flags", headers=headers)).json()
    assert {f["name"]: (f["enabled"], f["is_default"]) for f in listed} == {
        "betting_open": (True, True),
        "signup_open": (True, True),
    }

    created = await client.post(
        "/v1/admin/flags",
        json={"name": "new_model", "enabled": True, "description": "Try v2"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["is_default"] is False
    again = await client.post("/v1/admin/flags", json={"name": "new_model"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "flag_exists"

    off = await client.patch(
        "/v1/admin/flags/betting_open", json={"enabled": False}, headers=headers
    )
    assert off.status_code == 200
    assert (off.json()["enabled"], off.json()["is_default"]) == (False, False)
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is False

    builtin = await client.delete("/v1/admin/flags/betting_open", headers=headers)
    assert builtin.status_code == 409  # a built-in flag is switched, never deleted
    assert builtin.json()["error"]["code"] == "builtin_flag"
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is False  # still off
    deleted = await client.delete("/v1/admin/flags/new_model", headers=headers)
    assert deleted.status_code == 204
    missing = await client.delete("/v1/admin/flags/new_model", headers=headers)
    assert missing.status_code == 404
    assert (await client.get("/v1/admin/flags/nope_flag", headers=headers)).status_code == 404
    assert (
        await client.patch("/v1/admin/flags/nope_flag", json={"enabled": True}, headers=headers)
    ).status_code == 404

    assert await _audit_actions(session) == ["flag.create", "flag.update", "flag.delete"]
    event = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()[1]
    assert (event.actor_type, event.actor_name, event.target) == (
        "user",
        admin.username,
        "flag:betting_open",
    )
    assert event.details == {"enabled": False, "was_enabled": True}


@pytest.mark.parametrize(
    "payload",
    [{"name": "Bad Name"}, {"name": "x"}, {"name": "ok_name", "enabled": "maybe"}, {"extra": 1}],
)
async def test_invalid_flags_are_422(
    client: httpx.AsyncClient, session: AsyncSession, payload: dict[str, object]
) -> None:
    admin = await make_user(session, role="Admin")
    await session.commit()
    response = await client.post("/v1/admin/flags", json=payload, headers=user_headers(admin))
    assert response.status_code == 422


async def test_switching_betting_off_refuses_bets_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role="Admin")
    consumer = await make_user(session)
    game = (await make_slate(session)).games[0]
    await session.commit()
    assert await flags.is_enabled(session, flags.BETTING_OPEN)  # cached as open

    response = await client.patch(
        "/v1/admin/flags/betting_open", json={"enabled": False}, headers=user_headers(admin)
    )
    assert response.status_code == 200
    bet = await client.post(
        "/v1/me/bets",
        json={"game_id": game.id, "side": "home", "stake": 5},
        headers=user_headers(consumer),
    )
    assert bet.status_code == 409
    assert bet.json()["error"]["code"] == "betting_closed"


async def test_a_flag_change_reaches_another_instance_at_once(
    client: httpx.AsyncClient, session: AsyncSession, cache: cache_module.Cache
) -> None:
    """Two app instances share Redis: one caches the flags, the other switches one off; the
    first sees the change on its next read, not after the cache TTL."""
    other = cache_module.Cache(
        cache_module.RedisBackend(cache.backend._client),  # type: ignore[attr-defined]
        prefix=cache.prefix,
        retry_after_seconds=5,
    )
    admin = await make_user(session, role="Admin")
    await session.commit()
    cache_module.use_cache(other)
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is True  # cached by "other"

    cache_module.use_cache(cache)
    response = await client.patch(
        "/v1/admin/flags/betting_open", json={"enabled": False}, headers=user_headers(admin)
    )
    assert response.status_code == 200

    cache_module.use_cache(other)
    try:
        assert await flags.is_enabled(session, flags.BETTING_OPEN) is False
    finally:
        cache_module.use_cache(cache)
