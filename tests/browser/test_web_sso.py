"""Sign-in with an OpenID Connect provider in a real browser: Chromium walks the real
provider's login and consent pages (`tests/oidc/provider.mjs`, the npm registry's
`oidc-provider`) and comes back signed in to the app under uvicorn. A new person gets an
account and bets with the app's own session; a person whose confirmed address is on an
existing account lands in it, again on the next sign-in; a group makes an Admin; an answer
that does not carry this browser's state is refused with a page that says so."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import REPO, _env, _free_port, _run, _wait_until_up
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

pytestmark = pytest.mark.browser


class SsoSite:
    def __init__(self, base: str, provider: OidcProvider, database: Path) -> None:
        self.base = base
        self.provider = provider
        self.database = database


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoSite]:
    """The app with the demo season, SSO configured against a provider of its own."""
    workdir = tmp_path_factory.mktemp("sso-live")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    provider = OidcProvider(workdir, redirect_uris=[f"{base}/login/sso/callback"])
    database = workdir / "courtside.db"
    env = _env(f"sqlite+aiosqlite:///{database}")
    env.update(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_SCOPES="openid email profile groups",
        OIDC_ADMIN_CLAIM="groups",
        OIDC_ADMIN_VALUE="courtside-admins",
        OIDC_BUTTON_LABEL="Test IdP",
    )
    _run(["-m", "courtside", "migrate"], env)
    _run(["scripts/demo_data.py", "load"], env)
    log = workdir / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "courtside.main:app"),
                *("--host", "127.0.0.1", "--port", str(port)),
                *("--no-proxy-headers", "--no-access-log"),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"{base}/health", process, log)
        yield SsoSite(base, provider, database)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        provider.stop()


def _sign_in_with_provider(page: Any, site: SsoSite, login: str, next_path: str = "/") -> None:
    """Our login page's button, the provider's login page, its consent page, and back."""
    page.goto(f"{site.base}/login?next={next_path}")
    page.click("[data-testid=sso-link]")
    page.wait_for_url(re.compile(rf"{re.escape(site.provider.issuer)}/interaction/.*"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.click("button[type=submit]")  # Continue: consent to the scopes
    page.wait_for_url(f"{site.base}{next_path}")


def _me(context: Any, site: SsoSite) -> dict[str, Any]:
    response = context.request.get(f"{site.base}/v1/me")
    assert response.status == 200, response.text()
    body: dict[str, Any] = response.json()
    return body


def test_a_new_person_signs_in_and_bets(sso_site: SsoSite, browser: Any) -> None:
    from playwright.sync_api import expect

    sso_site.provider.set_account(
        "newcomer", email="newcomer@example.test", email_verified=True, name="New Comer"
    )
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{sso_site.base}/login")
    expect(page.locator("[data-testid=sso-link]")).to_have_text("Sign in with Test IdP")
    _sign_in_with_provider(page, sso_site, "newcomer")
    expect(page.locator("header.site-header")).to_contain_text("Log out newcomer")
    assert _me(context, sso_site)["role"] == "Consumer"

    # The app's own session: a CSRF-protected form acting on the cookie places a bet.
    form = page.locator("form.bet-form").first
    form.locator("input[type=radio]").first.check()
    form.locator("input[name=stake]").fill("10")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/\?placed=\d+.*"))
    expect(page.locator(".flash.success")).to_contain_text("Bet placed: 10.00 on")
    context.close()


def test_a_confirmed_account_is_linked_then_the_link_is_used(
    sso_site: SsoSite, browser: Any
) -> None:
    from playwright.sync_api import expect

    with sqlite3.connect(sso_site.database) as db:  # demo-user proved its address
        db.execute(
            "UPDATE rest_api_users SET email_confirmed_at = '2026-12-01 00:00:00.000000' "
            "WHERE username = 'demo-user'"
        )
    sso_site.provider.set_account("dana", email="demo-user@courtside.local", email_verified=True)
    for _ in range(2):  # the first sign-in links, the second uses the link
        context = browser.new_context()
        context.set_default_timeout(15_000)
        page = context.new_page()
        _sign_in_with_provider(page, sso_site, "dana", "/record")
        expect(page.locator("header.site-header")).to_contain_text("Log out demo-user")
        assert _me(context, sso_site)["username"] == "demo-user"
        context.close()
    with sqlite3.connect(sso_site.database) as db:
        links = db.execute(
            "SELECT count(*) FROM sso_links JOIN rest_api_users u ON u.id = user_id "
            "WHERE u.username = 'demo-user' AND subject = 'dana'"
        ).fetchone()
    assert links == (1,)


def test_a_group_makes_an_admin(sso_site: SsoSite, browser: Any) -> None:
    from playwright.sync_api import expect

    sso_site.provider.set_account(
        "chief", email="chief@example.test", email_verified=True, groups=["courtside-admins"]
    )
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    _sign_in_with_provider(page, sso_site, "chief", "/admin")
    expect(page.locator("h1")).to_contain_text("Admin")
    assert _me(context, sso_site)["role"] == "Admin"
    context.close()


def test_an_answer_with_another_state_is_refused(sso_site: SsoSite, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{sso_site.base}/login")
    page.click("[data-testid=sso-link]")  # this browser now holds a flow cookie
    page.wait_for_url(re.compile(rf"{re.escape(sso_site.provider.issuer)}/interaction/.*"))
    response = page.goto(f"{sso_site.base}/login/sso/callback?code=stolen&state=forged")
    assert response is not None
    assert response.status == 400
    expect(page.locator("[data-testid=sso-error]")).to_contain_text("state mismatch")
    assert context.request.get(f"{sso_site.base}/v1/me").status == 401
    context.close()
