"""Login/logout/sign-up pages, the session cookie and CSRF protection."""

import re

import httpx
import pytest

from courtside.models import FeatureFlag

from .helpers import PASSWORD, make_user, token


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, next_path: str = "/"
) -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_from(page.text),
        },
    )


async def test_login_page_sets_anonymous_csrf_cookie(client):
    page = await client.get("/login")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    cookie = set_cookies(page)["courtside_csrf"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert csrf_from(page.text)


async def test_login_sets_session_cookie_with_flags(client, session):
    user = await make_user(session)
    response = await login(client, user.username, next_path="/record")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/record"
    cookie = set_cookies(response)["courtside_session"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/" in cookie
    assert "Max-Age=1800" in cookie
    assert "Secure" not in cookie  # plain-http local development only
    me = await client.get("/v1/me")  # the cookie works for the JSON API too
    assert me.status_code == 200
    assert me.json()["username"] == user.username


async def test_session_cookie_is_secure_over_https(app, session):
    user = await make_user(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await login(client, user.username)
        assert response.status_code == 303
        cookies = set_cookies(response)
        assert "courtside_session" not in cookies
        cookie = cookies["__Host-courtside_session"]  # host-only: no subdomain can plant it
        assert "Secure" in cookie
        assert "Path=/" in cookie
        assert "Domain" not in cookie
        assert (await client.get("/v1/me")).status_code == 200
        plain = await client.get(
            "/v1/me",
            headers={"Cookie": f"courtside_session={client.cookies['__Host-courtside_session']}"},
        )
        assert plain.status_code == 401  # the unprefixed name is not read over HTTPS


async def test_session_cookie_is_secure_outside_local_even_over_http(client, settings_env):
    settings_env(ENVIRONMENT="dev", JWT_SECRET="a" * 16 + "-b-really-random-secret-value")
    page = await client.get("/login")
    assert "Secure" in set_cookies(page)["__Host-courtside_csrf"]


async def test_login_without_csrf_token_is_refused(client, session):
    user = await make_user(session)
    await client.get("/login")
    for token_value in (None, "", "forged-token"):
        data = {"username": user.username, "password": PASSWORD}
        if token_value is not None:
            data["csrf_token"] = token_value
        response = await client.post("/login", data=data, headers={"Accept": "text/html"})
        assert response.status_code == 403
        assert "did not come from this site" in response.text
        assert "courtside_session" not in set_cookies(response)


async def test_csrf_token_is_bound_to_the_visitor(app, client, session):
    """A token taken from another visitor's page does not work with my cookie."""
    user = await make_user(session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
        stolen = csrf_from((await attacker.get("/login")).text)
    await client.get("/login")
    response = await client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 403


async def test_wrong_password_rerenders_form(client, session):
    user = await make_user(session)
    response = await login(client, user.username, password="wrong-password-1")
    assert response.status_code == 401
    assert "Incorrect username or password." in response.text
    assert "courtside_session" not in set_cookies(response)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nSet-Cookie: x=y",
    ],
)
async def test_next_stays_on_this_site(client, session, target):
    user = await make_user(session)
    response = await login(client, user.username, next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_page_redirects_anonymous_to_login_and_back(client, session):
    response = await client.get("/record?page=2", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frecord%3Fpage%3D2"
    user = await make_user(session)
    page = await client.get(response.headers["location"])
    assert 'name="next" value="/record?page=2"' in page.text
    done = await client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "next": "/record?page=2",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert done.headers["location"] == "/record?page=2"


async def test_cookie_authenticated_api_write_needs_csrf_header(client, session):
    user = await make_user(session)
    assert (await login(client, user.username)).status_code == 303
    refused = await client.post("/v1/me/logout-everywhere")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    page = await client.get("/login?next=/")  # signed in: redirected, so read a page's token
    assert page.status_code == 303
    home_token = csrf_from((await client.get("/signup", follow_redirects=True)).text)
    accepted = await client.post("/v1/me/logout-everywhere", headers={"X-CSRF-Token": home_token})
    assert accepted.status_code == 204
    assert (await client.get("/v1/me")).status_code == 401


async def test_a_bogus_api_key_header_does_not_excuse_a_cookie_write(client, session):
    user = await make_user(session)
    assert (await login(client, user.username)).status_code == 303
    refused = await client.post(
        "/v1/me/logout-everywhere", headers={"X-API-Key": "cs_not_a_real_key"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert (await client.get("/v1/me")).status_code == 200  # still signed in: nothing happened


async def test_bearer_requests_need_no_csrf_token(client, session):
    user = await make_user(session)
    response = await client.post(
        "/v1/me/logout-everywhere", headers={"Authorization": f"Bearer {token(user)}"}
    )
    assert response.status_code == 204


async def test_logout_revokes_the_session_token(client, session):
    user = await make_user(session)
    await login(client, user.username)
    stolen = client.cookies.get("courtside_session")
    page = await client.get("/signup", follow_redirects=True)
    response = await client.post("/logout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    cleared = set_cookies(response)["courtside_session"]
    assert "Max-Age=0" in cleared or "expires=" in cleared.lower()
    assert (await client.get("/v1/me")).status_code == 401
    replay = await client.get("/v1/me", headers={"Authorization": f"Bearer {stolen}"})
    assert replay.status_code == 401


async def test_logout_without_csrf_token_is_refused(client, session):
    user = await make_user(session)
    await login(client, user.username)
    response = await client.post("/logout", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert (await client.get("/v1/me")).status_code == 200


async def test_logout_with_expired_session_just_goes_to_login(client):
    client.cookies.set("courtside_session", "expired.or.garbage")
    response = await client.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_signup_page_creates_consumer_and_signs_in(client):
    page = await client.get("/signup")
    assert page.status_code == 200
    response = await client.post(
        "/signup",
        data={
            "username": "newbie",
            "email": "newbie@example.test",
            "password": "a-fine-passphrase",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 303, response.text
    me = await client.get("/v1/me")
    assert me.json()["username"] == "newbie"
    assert me.json()["role"] == "Consumer"


async def test_signup_page_shows_errors(client, session):
    await make_user(session, username="taken")
    page = await client.get("/signup")
    token_value = csrf_from(page.text)
    weak = await client.post(
        "/signup",
        data={
            "username": "fresh",
            "email": "fresh@example.test",
            "password": "short",
            "csrf_token": token_value,
        },
    )
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.text
    taken = await client.post(
        "/signup",
        data={
            "username": "taken",
            "email": "other@example.test",
            "password": "a-fine-passphrase",
            "csrf_token": token_value,
        },
    )
    assert taken.status_code == 409
    assert "already registered" in taken.text
    bad_name = await client.post(
        "/signup",
        data={
            "username": "<script>",
            "email": "x@example.test",
            "password": "a-fine-passphrase",
            "csrf_token": token_value,
        },
    )
    assert bad_name.status_code == 422
    assert "<script>" not in bad_name.text  # escaped


async def test_signup_page_closed_by_flag(client, session):
    session.add(FeatureFlag(name="signup_open", enabled=False))
    await session.commit()
    page = await client.get("/signup")
    assert page.status_code == 403
    assert "Sign-up is closed" in page.text


async def test_forced_reset_on_the_login_page(client, session):
    from courtside.services import audit, users

    user = await make_user(session)
    await users.force_password_reset(session, user_id=user.id, actor=audit.SYSTEM)
    await session.commit()
    first = await login(client, user.username)
    assert first.status_code == 403
    assert 'name="new_password"' in first.text
    response = await client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "new_password": "my-new-passphrase-2026",
            "csrf_token": csrf_from(first.text),
        },
    )
    assert response.status_code == 303, response.text
    assert (await client.get("/v1/me")).status_code == 200


async def test_templates_get_current_user_and_csrf_token(client, session):
    user = await make_user(session)
    await login(client, user.username)
    home = await client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200
    assert f"Log out {user.username}" in home.text
    assert 'name="csrf_token"' in home.text


async def test_per_visitor_responses_are_never_cached(client, session):
    user = await make_user(session)
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {token(user)}"})
    assert me.headers["cache-control"] == "private, no-store"
    page = await client.get("/login")
    assert page.headers["cache-control"] == "private, no-store"  # embeds a CSRF token
    public = await client.get("/v1/teams")
    assert "private" not in public.headers.get("cache-control", "")
    anonymous_home = await client.get("/", headers={"Accept": "text/html"})
    assert anonymous_home.status_code == 200
    signed_in_home = await client.get(
        "/", headers={"Accept": "text/html", "Authorization": f"Bearer {token(user)}"}
    )
    assert signed_in_home.headers["cache-control"] == "private, no-store"


async def test_broken_session_cookie_counts_as_anonymous(client, session):
    from .helpers import expired_token

    user = await make_user(session)
    inactive = await make_user(session, active=False)
    for value in (expired_token(user), token(inactive), "garbage"):
        headers = {"Accept": "text/html", "Cookie": f"courtside_session={value}"}
        home = await client.get("/", headers=headers)
        assert home.status_code == 200
        assert "Log out" not in home.text
        record = await client.get("/record", headers=headers)
        assert record.status_code == 303
        assert record.headers["location"].startswith("/login?next=")
        api = await client.get("/v1/me", headers=headers)
        assert api.status_code == 401


async def test_consumer_gets_403_page_on_admin_pages(client, session):
    user = await make_user(session)
    await login(client, user.username)
    response = await client.get("/admin/users", headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


async def test_pages_without_forms_set_no_csrf_cookie(client):
    home = await client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 200
    assert "courtside_csrf" not in set_cookies(home)
    assert "private" not in home.headers.get("cache-control", "")
    login_page = await client.get("/login")
    assert "courtside_csrf" in set_cookies(login_page)


async def _junk_credentials(session) -> dict[str, dict[str, str]]:
    """Headers that look like credentials but do not verify."""
    from courtside.services import api_keys, audit

    from .helpers import expired_token, make_key, tampered_token

    user = await make_user(session)
    revoked = await make_key(session, "write")
    row = await api_keys.find_key(session, revoked)
    assert row is not None
    await api_keys.revoke_key(session, key_id=row.id, actor=audit.SYSTEM)
    await session.commit()
    return {
        "junk-key": {"X-API-Key": "junk"},
        "well-formed-unknown-key": {"X-API-Key": "cs_0123456789ab_" + "A" * 43},
        "revoked-key": {"X-API-Key": revoked},
        "junk-bearer": {"Authorization": "Bearer junk"},
        "expired-bearer": {"Authorization": f"Bearer {expired_token(user)}"},
        "tampered-bearer": {"Authorization": f"Bearer {tampered_token(user)}"},
    }


def _form(path: str, n: int, username: str) -> dict[str, str]:
    if path == "/login":
        return {"username": username, "password": PASSWORD}
    return {"username": f"csrfless{n}", "email": f"csrfless{n}@example.test", "password": PASSWORD}


@pytest.mark.parametrize("path", ["/login", "/signup"])
async def test_an_unverified_credential_header_does_not_skip_csrf(client, session, path):
    """`X-API-Key: junk` (or any header that only looks like a credential) on a login or
    sign-up form without a CSRF token: 403, no session cookie, no account."""
    from sqlalchemy import func, select

    from courtside.models import User

    user = await make_user(session)
    for n, (name, headers) in enumerate((await _junk_credentials(session)).items()):
        response = await client.post(path, data=_form(path, n, user.username), headers=headers)
        assert response.status_code == 403, (name, response.status_code)
        assert "courtside_session" not in set_cookies(response), name
        created = await session.scalar(
            select(func.count()).select_from(User).where(User.username.like("csrfless%"))
        )
        assert created == 0, name


@pytest.mark.parametrize("path", ["/login", "/signup"])
async def test_a_verified_credential_header_stands_in_for_the_csrf_token(client, session, path):
    from .helpers import make_key

    user = await make_user(session)
    key = await make_key(session, "read")
    for n, headers in enumerate(({"X-API-Key": key}, {"Authorization": f"Bearer {token(user)}"})):
        response = await client.post(
            path, data=_form(path, 100 + n, user.username), headers=headers
        )
        assert response.status_code == 303, response.text
        assert "courtside_session" in set_cookies(response)
