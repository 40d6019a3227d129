"""GET /logout: a page with the sign-out form; visiting it signs nobody out."""

from .helpers import make_user
from .test_web_session import csrf_from, login, set_cookies


async def test_logout_page_offers_a_csrf_protected_form(client, session):
    user = await make_user(session)
    await login(client, user.username)
    page = await client.get("/logout")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert page.headers["cache-control"] == "private, no-store"
    assert 'data-testid="logout"' in page.text
    assert f"signed in as <strong>{user.username}</strong>" in page.text
    assert '<form method="post" action="/logout" class="logout-form">' in page.text
    # Only looking at the page changes nothing: still signed in.
    assert (await client.get("/v1/me")).status_code == 200
    token_field = page.text.split('class="logout-form">', 1)[1]
    response = await client.post("/logout", data={"csrf_token": csrf_from(token_field)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert (await client.get("/v1/me")).status_code == 401


async def test_logout_page_without_the_token_is_refused(client, session):
    user = await make_user(session)
    await login(client, user.username)
    await client.get("/logout")
    refused = await client.post("/logout", headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert (await client.get("/v1/me")).status_code == 200


async def test_anonymous_logout_page_links_to_login(client):
    page = await client.get("/logout")
    assert page.status_code == 200
    assert "You are signed out" in page.text
    assert '<a href="/login">Log in</a>' in page.text
    assert 'action="/logout"' not in page.text
    assert "courtside_csrf" not in set_cookies(page)  # no form, no CSRF cookie
