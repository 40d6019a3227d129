"""POST /token, GET /v1/me, and the per-request checks against the database."""

from courtside import unit_of_work
from courtside.services import audit, users

from .helpers import (
    PASSWORD,
    alg_none_token,
    bearer,
    expired_token,
    make_user,
    other_secret_token,
    tampered_token,
    token,
    user_headers,
)


async def test_token_then_me(client, session):
    user = await make_user(session, username="alice")
    response = await client.post("/token", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["cache-control"] == "no-store"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = await client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": user.id,
        "username": "alice",
        "email": "alice@example.test",
        "role": "Consumer",
        "is_admin": False,
    }


async def test_username_is_case_insensitive(client, session):
    await make_user(session, username="bob")
    response = await client.post("/token", data={"username": " BOB ", "password": PASSWORD})
    assert response.status_code == 200


async def test_wrong_password_and_unknown_user_look_the_same(client, session):
    await make_user(session, username="carol")
    wrong = await client.post("/token", data={"username": "carol", "password": "nope-nope-nope"})
    unknown = await client.post("/token", data={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_inactive_user_cannot_get_a_token(client, session):
    """Told the account is disabled only with its right password; else a plain 401."""
    await make_user(session, username="dave", active=False)
    wrong = await client.post("/token", data={"username": "dave", "password": "not-it-at-all"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    response = await client.post("/token", data={"username": "dave", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"
    assert "access_token" not in response.text


async def test_token_form_fields_are_required(client):
    response = await client.post("/token", data={"username": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_bad_tokens_are_401(client, session):
    user = await make_user(session)
    for bad in (
        expired_token(user),
        tampered_token(user),
        alg_none_token(user),
        other_secret_token(user),
        "not-a-jwt",
        "a.b.c",
        "",
    ):
        response = await client.get("/v1/me", headers=bearer(bad))
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] in {"invalid_token", "not_authenticated"}


async def test_anonymous_me_is_401(client):
    response = await client.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_deactivation_takes_effect_at_once(client, session):
    admin = await make_user(session, role="Admin")
    user = await make_user(session)
    headers = user_headers(user)
    assert (await client.get("/v1/me", headers=headers)).status_code == 200  # now cached
    response = await client.patch(
        f"/v1/admin/users/{user.id}", json={"is_active": False}, headers=user_headers(admin)
    )
    assert response.status_code == 200, response.text
    assert (await client.get("/v1/me", headers=headers)).status_code == 401


async def test_demotion_revokes_old_admin_tokens(client, session):
    admin = await make_user(session, role="Admin")
    other_admin = await make_user(session, role="Admin")
    old = user_headers(admin)
    assert (await client.get("/v1/admin/users", headers=old)).status_code == 200
    response = await client.patch(
        f"/v1/admin/users/{admin.id}", json={"role": "Consumer"}, headers=user_headers(other_admin)
    )
    assert response.status_code == 200
    assert (await client.get("/v1/admin/users", headers=old)).status_code == 401
    assert (await client.get("/v1/me", headers=old)).status_code == 401


async def test_role_claim_must_match_database(client, session):
    """Even with the same token version, a token whose role differs from the row is refused."""
    user = await make_user(session, role="Admin")
    stale = token(user)
    user.role = "Consumer"
    await session.commit()
    assert (await client.get("/v1/me", headers=bearer(stale))).status_code == 401


async def test_logout_everywhere_revokes_every_token(client, session):
    user = await make_user(session)
    first, second = user_headers(user), user_headers(user)
    assert (await client.post("/v1/me/logout-everywhere", headers=first)).status_code == 204
    assert (await client.get("/v1/me", headers=first)).status_code == 401
    assert (await client.get("/v1/me", headers=second)).status_code == 401
    fresh = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert (
        await client.get("/v1/me", headers=bearer(fresh.json()["access_token"]))
    ).status_code == 200


async def test_forced_reset_blocks_tokens_until_password_changed(client, session):
    user = await make_user(session)
    await users.force_password_reset(session, user_id=user.id, actor=audit.SYSTEM)
    await unit_of_work.of(session).commit()
    response = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_reset_required"
    change = await client.post(
        "/v1/auth/password",
        json={
            "username": user.username,
            "current_password": PASSWORD,
            "new_password": "a-brand-new-passphrase",
        },
    )
    assert change.status_code == 204, change.text
    old = await client.post("/token", data={"username": user.username, "password": PASSWORD})
    assert old.status_code == 401
    new = await client.post(
        "/token", data={"username": user.username, "password": "a-brand-new-passphrase"}
    )
    assert new.status_code == 200


async def test_password_change_refuses_weak_password(client, session):
    user = await make_user(session)
    response = await client.post(
        "/v1/auth/password",
        json={"username": user.username, "current_password": PASSWORD, "new_password": "short"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "weak_password"


async def test_cloudfront_forwarded_authorization(client, session, monkeypatch):
    from courtside.settings import reset_settings

    user = await make_user(session)
    sigv4 = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/lambda/aws4_request"
    }
    forwarded = {**sigv4, "X-Forwarded-Authorization": f"Bearer {token(user)}"}
    assert (await client.get("/v1/me", headers=forwarded)).status_code == 401  # not trusted
    monkeypatch.setenv("BEHIND_CLOUDFRONT", "true")
    reset_settings()
    try:
        assert (await client.get("/v1/me", headers=forwarded)).status_code == 200
        only_forwarded = {"X-Forwarded-Authorization": f"Bearer {token(user)}"}
        assert (await client.get("/v1/me", headers=only_forwarded)).status_code == 200
        both = {**user_headers(user), "X-Forwarded-Authorization": "Bearer forged"}
        assert (await client.get("/v1/me", headers=both)).status_code == 200
    finally:
        monkeypatch.delenv("BEHIND_CLOUDFRONT")
        reset_settings()


async def test_user_state_is_cached_briefly_and_invalidated_on_change(client, session):
    """The per-request check reads a short-lived cache; services invalidate it on change."""
    from courtside.services.users import invalidate_user

    user = await make_user(session)
    headers = user_headers(user)
    assert (await client.get("/v1/me", headers=headers)).status_code == 200  # now cached
    user.is_active = False  # a change that bypasses the services (no invalidation)
    await session.commit()
    assert (await client.get("/v1/me", headers=headers)).status_code == 200  # cached state
    await invalidate_user(user.id)
    assert (await client.get("/v1/me", headers=headers)).status_code == 401


async def test_user_state_cache_can_be_disabled(client, session, settings_env):
    settings_env(USER_STATE_CACHE_SECONDS="0")
    user = await make_user(session)
    headers = user_headers(user)
    assert (await client.get("/v1/me", headers=headers)).status_code == 200
    user.is_active = False
    await session.commit()
    assert (await client.get("/v1/me", headers=headers)).status_code == 401
