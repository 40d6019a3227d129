"""Sign-in with an OpenID Connect provider, against a real one (`tests/oidc/provider.mjs`,
the npm registry's certified `oidc-provider`): the app in-process, the provider's login and
consent pages walked over HTTP (the browser test walks them in Chromium)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select

from courtside.auth import oidc_client
from courtside.auth.config import InsecureConfiguration
from courtside.auth.oidc_config import check_sso_settings
from courtside.models import User, utcnow
from courtside.models.sso import SsoLink
from courtside.settings import AppSettings
from courtside.sso_settings import SsoSettings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, sign_in_at_provider

from .helpers import PASSWORD, make_user

CALLBACK = "http://testserver/login/sso/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    running = OidcProvider(tmp_path_factory.mktemp("oidc"), redirect_uris=[CALLBACK])
    yield running
    running.stop()


@pytest.fixture
def sso(settings_env: Callable[..., None], provider: OidcProvider) -> OidcProvider:
    """SSO configured against the test provider; groups: courtside-admins makes an Admin."""
    oidc_client.forget_cache()
    settings_env(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_SCOPES="openid email profile groups",
        OIDC_ADMIN_CLAIM="groups",
        OIDC_ADMIN_VALUE="courtside-admins",
        OIDC_BUTTON_LABEL="Test IdP",
    )
    return provider


async def start(client: httpx.AsyncClient, next_path: str = "/") -> str:
    response = await client.get("/login/sso", params={"next": next_path})
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def provider_answer(client: httpx.AsyncClient, login: str, next_path: str = "/") -> str:
    """Start at our /login/sso and walk the provider's pages: the callback URL it sends back."""
    authorize = await start(client, next_path)
    async with httpx.AsyncClient(timeout=10) as browser:
        return await sign_in_at_provider(browser, authorize, login, callback_prefix=CALLBACK)


async def sso_sign_in(
    client: httpx.AsyncClient, login: str, next_path: str = "/"
) -> httpx.Response:
    return await client.get(await provider_answer(client, login, next_path))


async def me(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/v1/me")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_login_page_offers_sso_only_when_configured(client, settings_env, provider):
    page = await client.get("/login")
    assert "Sign in with" not in page.text
    assert (await client.get("/login/sso")).status_code == 404
    assert (await client.get("/login/sso/callback?code=x&state=y")).status_code == 404
    settings_env(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_BUTTON_LABEL="Acme")
    page = await client.get("/login?next=/record")
    assert 'href="/login/sso?next=/record"' in page.text.replace("%2F", "/")
    assert "Sign in with Acme" in page.text


async def test_start_redirects_with_pkce_state_and_nonce(client, sso):
    location = await start(client, "/record")
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == sso.issuer
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 40
    assert len(query["nonce"]) >= 40
    cookie = next(c for c in (await client.get("/login/sso")).headers.get_list("set-cookie"))
    assert cookie.startswith("courtside_sso=")
    assert "HttpOnly" in cookie
    assert "Max-Age=600" in cookie
    assert "samesite=lax" in cookie.lower()


async def test_new_user_gets_an_account_and_the_apps_own_session(client, sso, session):
    sso.set_account("newbie", email="Newbie@Example.test", email_verified=True)
    response = await sso_sign_in(client, "newbie", "/record")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/record"
    cookies = [c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")]
    assert "courtside_session" in cookies
    forgotten = [
        c for c in response.headers.get_list("set-cookie") if c.startswith("courtside_sso=")
    ]
    assert len(forgotten) == 1
    assert "Max-Age=0" in forgotten[0]  # the flow cookie is used once
    profile = await me(client)
    assert profile["username"] == "newbie"
    assert profile["email"] == "newbie@example.test"
    assert profile["role"] == "Consumer"
    user = (await session.execute(select(User).where(User.username == "newbie"))).scalar_one()
    assert user.email_confirmed_at is not None
    link = (await session.execute(select(SsoLink).where(SsoLink.user_id == user.id))).scalar_one()
    assert (link.issuer, link.subject) == (sso.issuer, "newbie")
    # The app's own session: a CSRF-protected page and the JSON API work as after a password login.
    assert (await client.get("/record")).status_code == 200


async def test_username_is_made_unique(client, sso, session):
    await make_user(session, username="taken")
    sso.set_account(
        "taken-at-idp", email="t@example.test", email_verified=True, preferred_username="Taken"
    )
    assert (await sso_sign_in(client, "taken-at-idp")).status_code == 303
    assert (await me(client))["username"] == "taken-2"


async def test_confirmed_account_is_linked_and_the_link_is_used_after(client, sso, session):
    user = await make_user(session, commit=False)
    user.email_confirmed_at = utcnow()
    await session.commit()
    sso.set_account("linked", email=user.email.upper(), email_verified=True)
    assert (await sso_sign_in(client, "linked")).status_code == 303
    assert (await me(client))["id"] == user.id
    # The provider now says another address: the stored link decides, not the address.
    sso.set_account("linked", email="someone-else@example.test", email_verified=True)
    client.cookies.clear()
    assert (await sso_sign_in(client, "linked")).status_code == 303
    assert (await me(client))["id"] == user.id
    links = (await session.execute(select(SsoLink).where(SsoLink.user_id == user.id))).scalars()
    assert len(links.all()) == 1


async def test_unverified_email_is_not_linked(client, sso, session):
    user = await make_user(session, commit=False)
    user.email_confirmed_at = utcnow()
    await session.commit()
    sso.set_account("unverified", email=user.email, email_verified=False)
    assert (await sso_sign_in(client, "unverified")).status_code == 303
    profile = await me(client)
    assert profile["id"] != user.id
    created = await session.get(User, profile["id"])
    assert created is not None
    assert created.email_confirmed_at is None


async def test_unconfirmed_account_is_not_taken_over(client, sso, session):
    """Anyone can type anyone's address at sign-up: such an account is never linked."""
    squatter = await make_user(session)  # email_confirmed_at is None
    sso.set_account("owner", email=squatter.email, email_verified=True)
    assert (await sso_sign_in(client, "owner")).status_code == 303
    assert (await me(client))["id"] != squatter.id


async def test_two_confirmed_accounts_with_the_address_are_refused(client, sso, session):
    first = await make_user(session, commit=False)
    second = await make_user(session, commit=False)
    second.email = first.email
    first.email_confirmed_at = second.email_confirmed_at = utcnow()
    await session.commit()
    sso.set_account("ambiguous", email=first.email, email_verified=True)
    response = await sso_sign_in(client, "ambiguous")
    assert response.status_code == 409
    assert "Several Courtside accounts use this e-mail address" in response.text
    assert (await client.get("/v1/me")).status_code == 401


async def test_admin_by_claim_reaches_the_admin_area(client, sso, session):
    sso.set_account(
        "boss", email="boss@example.test", email_verified=True, groups=["staff", "courtside-admins"]
    )
    assert (await sso_sign_in(client, "boss", "/admin")).status_code == 303
    assert (await me(client))["role"] == "Admin"
    assert (await client.get("/admin")).status_code == 200


async def test_other_groups_do_not_make_an_admin(client, sso):
    sso.set_account("staffer", email="staff@example.test", email_verified=True, groups=["staff"])
    assert (await sso_sign_in(client, "staffer")).status_code == 303
    assert (await me(client))["role"] == "Consumer"
    assert (await client.get("/admin")).status_code == 403


async def test_wrong_state_is_refused(client, sso):
    sso.set_account("victim", email="victim@example.test", email_verified=True)
    callback = await provider_answer(client, "victim")
    query = parse_qs(urlsplit(callback).query)
    query["state"] = ["forged-state"]
    response = await client.get(CALLBACK + "?" + urlencode(query, doseq=True))
    assert response.status_code == 400
    assert "state mismatch" in response.text
    assert (await client.get("/v1/me")).status_code == 401


async def test_answer_in_another_browser_is_refused(client, sso, app):
    """Login CSRF: a code sent to someone else's browser (no flow cookie there) signs nobody in."""
    sso.set_account("attacker", email="attacker@example.test", email_verified=True)
    callback = await provider_answer(client, "attacker")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        response = await other.get(callback)
        assert response.status_code == 400
        assert "started in another browser" in response.text
        assert (await other.get("/v1/me")).status_code == 401


async def test_provider_error_is_shown(client, sso):
    authorize = await start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = await client.get(CALLBACK, params={"state": state, "error": "access_denied"})
    assert response.status_code == 400
    assert "you cancelled it" in response.text


async def test_a_code_is_used_once(client, sso):
    sso.set_account("replay", email="replay@example.test", email_verified=True)
    callback = await provider_answer(client, "replay")
    assert (await client.get(callback)).status_code == 303
    again = await client.get(callback)  # the flow cookie is gone with the first answer
    assert again.status_code == 400


async def test_deactivated_account_is_refused(client, sso, session):
    user = await make_user(session, active=False, commit=False)
    user.email_confirmed_at = utcnow()
    await session.commit()
    sso.set_account("gone", email=user.email, email_verified=True)
    response = await sso_sign_in(client, "gone")
    assert response.status_code == 403
    assert "disabled" in response.text


async def test_admins_password_login_can_be_turned_off(client, sso, settings_env, session):
    admin = await make_user(session, role="Admin")
    consumer = await make_user(session)
    form = {"password": PASSWORD}
    assert (
        await client.post("/token", data={**form, "username": admin.username})
    ).status_code == 200
    settings_env(OIDC_ADMIN_PASSWORD_LOGIN="false")
    refused = await client.post("/token", data={**form, "username": admin.username})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "sso_required"
    ok = await client.post("/token", data={**form, "username": consumer.username})
    assert ok.status_code == 200
    settings_env(OIDC_ISSUER="")  # the setting only applies while SSO is configured
    assert (
        await client.post("/token", data={**form, "username": admin.username})
    ).status_code == 200


def test_startup_refuses_half_configured_sso():
    prod = AppSettings(environment="prod", public_base_url="https://courtside.example")
    local = AppSettings(environment="local")
    check_sso_settings(prod, SsoSettings(oidc_issuer=None))
    good: dict[str, Any] = {
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "c",
        "oidc_client_secret": "s",
    }
    check_sso_settings(prod, SsoSettings(**good))
    check_sso_settings(
        prod,
        SsoSettings(
            **{
                **good,
                "oidc_client_secret": None,
                "oidc_client_secret_arn": "arn:aws:secretsmanager:x",
            }
        ),
    )
    with pytest.raises(InsecureConfiguration, match="OIDC_CLIENT_SECRET"):
        check_sso_settings(prod, SsoSettings(**{**good, "oidc_client_secret": None}))
    with pytest.raises(InsecureConfiguration, match="OIDC_CLIENT_ID"):
        check_sso_settings(prod, SsoSettings(**{**good, "oidc_client_id": None}))
    with pytest.raises(InsecureConfiguration, match="https"):
        check_sso_settings(prod, SsoSettings(**{**good, "oidc_issuer": "http://idp.example"}))
    check_sso_settings(local, SsoSettings(**{**good, "oidc_issuer": "http://127.0.0.1:1"}))


async def test_an_expired_id_token_gets_a_page_that_says_so(client, sso, monkeypatch):
    """The real provider's token, checked by a clock a day ahead (the flow cookie keeps its
    own clock): refused, and the page names the check that failed."""
    import time
    from types import SimpleNamespace

    from courtside.web import sso_pages

    sso.set_account("late", email="late@example.test", email_verified=True)
    callback = await provider_answer(client, "late")
    monkeypatch.setattr(sso_pages, "time", SimpleNamespace(time=lambda: time.time() + 86_400))
    response = await client.get(callback)
    assert response.status_code == 400
    assert "the ID token has expired" in response.text
    assert (await client.get("/v1/me")).status_code == 401
