"""The admin area over HTTP: access, flags, users, API keys and the audit log."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import ApiKey, AuditEvent, User
from courtside.services import audit, flags
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, sign_in

ADMIN_PAGES = ["/admin", "/admin/flags", "/admin/users", "/admin/api-keys", "/admin/audit"]


async def _admin_client(client: httpx.AsyncClient, session: AsyncSession) -> tuple[User, str]:
    admin = await make_user(session, role="Admin")
    await session.commit()
    sign_in(client, admin)
    page = await client.get("/admin", headers=HTML)
    assert page.status_code == 200, page.text
    return admin, csrf_from(page.text)


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_anonymous_visitors_are_sent_to_login(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fadmin")


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_consumers_get_a_403_page(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    consumer = await make_user(session)
    await session.commit()
    sign_in(client, consumer)
    response = await client.get(path, headers=HTML)
    assert response.status_code == 403
    assert "This page is for administrators." in response.text
    assert "text/html" in response.headers["content-type"]


async def test_consumers_cannot_post_admin_forms(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    consumer = await make_user(session)
    await session.commit()
    sign_in(client, consumer)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    response = await client.post(
        "/admin/flags/betting_open/toggle",
        data={"csrf_token": token, "enabled": "false"},
        headers=HTML,
    )
    assert response.status_code == 403
    assert await flags.is_enabled(session, flags.BETTING_OPEN)


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admins_see_every_page(
    client: httpx.AsyncClient, session: AsyncSession, path: str
) -> None:
    await _admin_client(client, session)
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]


async def test_flags_page_toggles_creates_and_deletes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await _admin_client(client, session)
    page = await client.get("/admin/flags", headers=HTML)
    assert 'data-testid="state-betting_open">on<' in page.text

    toggled = await client.post(
        "/admin/flags/betting_open/toggle",
        data={"csrf_token": token, "enabled": "false"},
        headers=HTML,
    )
    assert toggled.status_code == 303
    assert toggled.headers["location"] == "/admin/flags?done=flag_toggled"
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is False
    shown = await client.get(toggled.headers["location"], headers=HTML)
    assert "Flag switched." in shown.text
    assert 'data-testid="state-betting_open">off<' in shown.text

    created = await client.post(
        "/admin/flags",
        data={"csrf_token": token, "name": "dark_mode", "enabled": "true", "description": "x"},
        headers=HTML,
    )
    assert created.status_code == 303
    assert await flags.is_enabled(session, "dark_mode") is True
    duplicate = await client.post(
        "/admin/flags", data={"csrf_token": token, "name": "dark_mode"}, headers=HTML
    )
    assert duplicate.status_code == 409
    assert "exists already" in duplicate.text
    invalid = await client.post(
        "/admin/flags", data={"csrf_token": token, "name": "Bad Name!"}, headers=HTML
    )
    assert invalid.status_code == 422
    assert "lower-case letters" in invalid.text

    deleted = await client.post(
        "/admin/flags/dark_mode/delete", data={"csrf_token": token}, headers=HTML
    )
    assert deleted.status_code == 303
    assert await flags.is_enabled(session, "dark_mode") is False
    gone = await client.post(
        "/admin/flags/dark_mode/delete", data={"csrf_token": token}, headers=HTML
    )
    assert gone.status_code == 404
    again = await client.post(
        "/admin/flags/betting_open/toggle",
        data={"csrf_token": token, "enabled": "false"},
        headers=HTML,
    )
    assert again.status_code == 303  # a double submit keeps it off
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is False
    no_state = await client.post(
        "/admin/flags/betting_open/toggle", data={"csrf_token": token}, headers=HTML
    )
    assert no_state.status_code == 422
    forged = await client.post(
        "/admin/flags/betting_open/toggle",
        data={"csrf_token": "nope", "enabled": "true"},
        headers=HTML,
    )
    assert forged.status_code == 403
    assert await flags.is_enabled(session, flags.BETTING_OPEN) is False


async def test_users_page_searches_and_changes_users(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin, token = await _admin_client(client, session)
    target = await make_user(session, username="zelda")
    await make_user(session, username="link")
    await session.commit()

    found = await client.get("/admin/users?q=zel", headers=HTML)
    assert "zelda" in found.text
    assert "link@example.test" not in found.text
    admins = await client.get("/admin/users?role=Admin", headers=HTML)
    assert admin.username in admins.text
    assert "zelda" not in admins.text
    bad_filter = await client.get("/admin/users?role=Root", headers=HTML)
    assert bad_filter.status_code == 422

    for path, data, done in [
        (f"/admin/users/{target.id}/role", {"role": "Admin"}, "role_changed"),
        (f"/admin/users/{target.id}/active", {"active": "false"}, "deactivated"),
        (f"/admin/users/{target.id}/active", {"active": "true"}, "reactivated"),
        (f"/admin/users/{target.id}/reset", {}, "reset_forced"),
    ]:
        response = await client.post(path, data={"csrf_token": token, **data}, headers=HTML)
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"] == f"/admin/users?done={done}"
    await session.refresh(target)
    assert (target.role, target.is_active, target.password_reset_required) == (
        "Admin",
        True,
        True,
    )

    myself = await client.post(
        f"/admin/users/{admin.id}/active",
        data={"csrf_token": token, "active": "false"},
        headers=HTML,
    )
    assert myself.status_code == 409
    assert "You cannot deactivate your own account." in myself.text
    own_reset = await client.post(
        f"/admin/users/{admin.id}/reset", data={"csrf_token": token}, headers=HTML
    )
    assert own_reset.status_code == 409
    assert "You cannot force a password reset on your own account." in own_reset.text
    missing = await client.post(
        "/admin/users/999999/reset", data={"csrf_token": token}, headers=HTML
    )
    assert missing.status_code == 404
    bad_role = await client.post(
        f"/admin/users/{target.id}/role", data={"csrf_token": token, "role": "Root"}, headers=HTML
    )
    assert bad_role.status_code == 422
    actions = set(
        await session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == f"user:{target.id}")
        )
    )
    assert {"user.set_role", "user.deactivate", "user.activate", "user.force_password_reset"} <= (
        actions
    )


async def test_api_keys_page_shows_the_secret_once_and_revokes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await _admin_client(client, session)
    created = await client.post(
        "/admin/api-keys",
        data={"csrf_token": token, "name": "pipeline", "scope": "write"},
        headers=HTML,
    )
    assert created.status_code == 303  # post/redirect/get: a reload creates nothing
    key = (await session.scalars(select(ApiKey).where(ApiKey.name == "pipeline"))).one()
    assert created.headers["location"] == f"/admin/api-keys?created={key.id}"
    flash = created.headers["set-cookie"]
    assert "HttpOnly" in flash and "SameSite=strict" in flash and "Path=/admin/api-keys" in flash
    shown = await client.get(created.headers["location"], headers=HTML)
    assert shown.status_code == 200
    assert "no-store" in shown.headers["cache-control"]
    import re

    secret = re.search(r'data-testid="secret">(cs_[^<]+)<', shown.text)
    assert secret is not None
    assert key.scope == "write"
    assert secret.group(1).startswith(f"cs_{key.prefix}_")

    reloaded = await client.get(created.headers["location"], headers=HTML)
    assert secret.group(1) not in reloaded.text  # shown once: the cookie is gone
    assert 'data-testid="secret-gone"' in reloaded.text
    assert len((await session.scalars(select(ApiKey))).all()) == 1

    listed = await client.get("/admin/api-keys", headers=HTML)
    assert secret.group(1) not in listed.text
    assert f"cs_{key.prefix}_" in listed.text

    no_name = await client.post(
        "/admin/api-keys", data={"csrf_token": token, "name": " ", "scope": "read"}, headers=HTML
    )
    assert no_name.status_code == 422
    bad_scope = await client.post(
        "/admin/api-keys", data={"csrf_token": token, "name": "x", "scope": "admin"}, headers=HTML
    )
    assert bad_scope.status_code == 422

    revoked = await client.post(
        f"/admin/api-keys/{key.id}/revoke", data={"csrf_token": token}, headers=HTML
    )
    assert revoked.status_code == 303
    await session.refresh(key)
    assert key.revoked_at is not None
    assert (
        await client.post("/admin/api-keys/999999/revoke", data={"csrf_token": token}, headers=HTML)
    ).status_code == 404


async def test_audit_log_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _admin_client(client, session)
    robot = audit.Actor("api_key", "7", "robot")
    for n in range(30):
        await audit.record(session, actor=robot, action="ingest.games", target=f"batch:{n}")
    await audit.record(session, actor=audit.SYSTEM, action="flag.update", target="flag:x")
    await session.commit()

    first = await client.get("/admin/audit?action=ingest.*", headers=HTML)
    assert first.status_code == 200
    assert first.text.count("<code>ingest.games</code>") == 25
    assert "Page 1 of 2 (30)" in first.text
    assert "action=ingest.%2A&amp;page=2" in first.text
    second = await client.get("/admin/audit?action=ingest.*&page=2", headers=HTML)
    assert second.text.count("<code>ingest.games</code>") == 5

    by_actor = await client.get("/admin/audit?actor_type=system", headers=HTML)
    assert "<code>flag.update</code>" in by_actor.text
    assert "ingest.games" not in by_actor.text
    by_target = await client.get("/admin/audit?target=batch:3", headers=HTML)
    assert by_target.text.count("<code>ingest.games</code>") == 1
    future = await client.get("/admin/audit?since=2999-01-01", headers=HTML)
    assert "No events." in future.text
    assert (await client.get("/admin/audit?since=yesterday", headers=HTML)).status_code == 422
    assert (await client.get("/admin/audit?actor_type=root", headers=HTML)).status_code == 422
