"""Admin JSON API for users, and JSON sign-up."""

import pytest
from sqlalchemy import func, select

from courtside.domain_errors import DomainError
from courtside.errors import status_for
from courtside.models import AuditEvent, FeatureFlag, User
from courtside.services import api_keys, audit, users

from .helpers import make_user, user_headers

STRONG = "a-fine-passphrase"


async def test_list_and_search(client, session):
    admin = await make_user(session, role="Admin", username="boss")
    await make_user(session, username="alice")
    await make_user(session, username="alicia", active=False)
    await make_user(session, username="bob")
    headers = user_headers(admin)
    found = await client.get("/v1/admin/users", params={"q": "ALI"}, headers=headers)
    assert found.status_code == 200
    assert [u["username"] for u in found.json()["items"]] == ["alice", "alicia"]
    inactive = await client.get(
        "/v1/admin/users", params={"q": "ali", "is_active": "false"}, headers=headers
    )
    assert [u["username"] for u in inactive.json()["items"]] == ["alicia"]
    admins = await client.get("/v1/admin/users", params={"role": "Admin"}, headers=headers)
    assert {u["username"] for u in admins.json()["items"]} >= {"boss"}
    wildcard = await client.get("/v1/admin/users", params={"q": "%"}, headers=headers)
    assert wildcard.json()["total"] == 0
    assert "password" not in found.text.replace("password_reset_required", "")


async def test_create_admin_and_conflicts(client, session):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    body = {
        "username": "Second",
        "email": "Second@Example.test",
        "password": STRONG,
        "role": "Admin",
    }
    created = await client.post("/v1/admin/users", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["username"] == "second"
    assert created.json()["email"] == "second@example.test"
    assert created.json()["role"] == "Admin"
    again = await client.post("/v1/admin/users", json=body, headers=headers)
    assert again.status_code == 409
    same_email = await client.post(
        "/v1/admin/users",
        json={**body, "username": "third"},
        headers=headers,
    )
    assert same_email.status_code == 409
    assert "e-mail" in same_email.json()["error"]["message"]
    weak = await client.post(
        "/v1/admin/users",
        json={"username": "weak", "email": "weak@example.test", "password": "password123"},
        headers=headers,
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["code"] == "weak_password"


async def test_update_role_status_reset_and_audit(client, session):
    admin = await make_user(session, role="Admin")
    user = await make_user(session)
    headers = user_headers(admin)
    url = f"/v1/admin/users/{user.id}"
    promoted = await client.patch(url, json={"role": "Admin"}, headers=headers)
    assert promoted.json()["role"] == "Admin"
    deactivated = await client.patch(url, json={"is_active": False}, headers=headers)
    assert deactivated.json()["is_active"] is False
    reactivated = await client.patch(url, json={"is_active": True}, headers=headers)
    assert reactivated.json()["is_active"] is True
    reset = await client.patch(url, json={"password_reset_required": True}, headers=headers)
    assert reset.json()["password_reset_required"] is True
    out = await client.post(f"{url}/logout-everywhere", headers=headers)
    assert out.status_code == 200
    actions = (
        (
            await session.execute(
                select(AuditEvent.action)
                .where(AuditEvent.target == f"user:{user.id}")
                .order_by(AuditEvent.id)
            )
        )
        .scalars()
        .all()
    )
    assert actions == [
        "user.set_role",
        "user.deactivate",
        "user.activate",
        "user.force_password_reset",
        "user.logout_everywhere",
    ]
    version = (
        await session.execute(
            select(User.token_version)
            .where(User.id == user.id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert version == 5


async def test_admin_cannot_lock_themselves_out(client, session):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    for body in ({"role": "Consumer"}, {"is_active": False}, {"password_reset_required": True}):
        response = await client.patch(f"/v1/admin/users/{admin.id}", json=body, headers=headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cannot_change_self"
    assert (await client.get("/v1/admin/users", headers=headers)).status_code == 200
    await session.refresh(admin)
    assert (admin.role, admin.is_active, admin.password_reset_required) == ("Admin", True, False)


async def test_update_validation_and_missing(client, session):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    for body in ({"role": "Root"}, {"password_reset_required": False}, {"password": "x"}):
        response = await client.patch(f"/v1/admin/users/{admin.id}", json=body, headers=headers)
        assert response.status_code == 422, body
    assert (
        await client.patch("/v1/admin/users/999999", json={}, headers=headers)
    ).status_code == 404
    assert (await client.get("/v1/admin/users/0", headers=headers)).status_code == 422


async def test_json_signup(client, session):
    response = await client.post(
        "/v1/auth/signup",
        json={"username": "Newcomer", "email": "new@example.test", "password": STRONG},
    )
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "Consumer"
    assert response.json()["username"] == "newcomer"
    row = (await session.execute(select(User).where(User.username == "newcomer"))).scalar_one()
    assert row.password_hash.startswith("$argon2id$")
    duplicate = await client.post(
        "/v1/auth/signup",
        json={"username": "newcomer", "email": "other@example.test", "password": STRONG},
    )
    assert duplicate.status_code == 409


async def test_json_signup_cannot_choose_role(client, session):
    response = await client.post(
        "/v1/auth/signup",
        json={"username": "sneaky", "email": "s@example.test", "password": STRONG, "role": "Admin"},
    )
    assert response.status_code == 422
    count = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    assert count == 0


async def test_json_signup_validation(client):
    for body in (
        {"username": "ab", "email": "a@example.test", "password": STRONG},
        {"username": "has space", "email": "a@example.test", "password": STRONG},
        {"username": "okname", "email": "not-an-email", "password": STRONG},
        {"username": "okname", "email": "a@example.test", "password": "short"},
        {"username": "okname", "email": "a@example.test", "password": "okname-is-in-it"},
        {"username": "okname", "email": "a@example.test"},
    ):
        response = await client.post("/v1/auth/signup", json=body)
        assert response.status_code == 422, body


async def test_signup_closed_by_flag(client, session):
    session.add(FeatureFlag(name="signup_open", enabled=False))
    await session.commit()
    response = await client.post(
        "/v1/auth/signup", json={"username": "late", "email": "l@example.test", "password": STRONG}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signup_closed"


async def test_signup_closed_by_setting(client, settings_env):
    settings_env(SIGNUP_ENABLED="false")
    response = await client.post(
        "/v1/auth/signup", json={"username": "late", "email": "l@example.test", "password": STRONG}
    )
    assert response.status_code == 403


async def test_services_refuse_unknown_roles_and_scopes(session):
    """Pages call the services with raw form values: bad ones are 422, never a 500."""
    user = await make_user(session)
    with pytest.raises(DomainError) as role_error:
        await users.set_role(session, user_id=user.id, role="Root", actor=audit.SYSTEM)
    assert status_for(role_error.value) == 422
    with pytest.raises(DomainError) as scope_error:
        await api_keys.create_key(session, name="pipeline", scope="admin", actor=audit.SYSTEM)
    assert status_for(scope_error.value) == 422
    with pytest.raises(DomainError) as name_error:
        await api_keys.create_key(session, name=" ", scope="read", actor=audit.SYSTEM)
    assert status_for(name_error.value) == 422
