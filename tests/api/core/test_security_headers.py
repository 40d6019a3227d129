"""Security headers on every response: JSON, HTML, errors (even a 500), static files."""

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from courtside.edge import Edge
from tests.api.auth.helpers import make_user, user_headers

TEMPLATES = Path(__file__).resolve().parents[3] / "api" / "courtside" / "templates"
# Markup built in Python rather than in a template (the game cards, the record's rows and its
# analytics, issue 23), held to the same policy as the templates.
MARKUP_MODULES = [
    TEMPLATES.parent / "web" / name
    for name in ("card_html.py", "record_rows.py", "analytics_html.py", "chart_html.py")
]
EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert csp["default-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    # No inline script and nothing from another origin, for any resource type.
    assert "script-src" not in csp
    assert "style-src" not in csp
    assert "unsafe" not in response.headers["content-security-policy"]
    assert "http" not in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("path", "accept", "status"),
    [
        ("/health", "application/json", 200),
        ("/v1/teams", "application/json", 200),
        ("/v1/teams/NOPE", "application/json", 404),
        ("/", "text/html", 200),
        ("/login", "text/html", 200),
        ("/logout", "text/html", 200),
        ("/record", "text/html", 303),
        ("/no-such-page", "text/html", 404),
        ("/docs", "text/html", 200),
        ("/openapi.json", "application/json", 200),
        ("/static/app.css", "text/css", 200),
    ],
)
async def test_every_kind_of_response_is_secured(client, path, accept, status):
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == status
    assert_secured(response)


async def test_signed_in_pages_and_refusals_are_secured(client, session):
    user = await make_user(session)
    assert_secured(await client.get("/record", headers=user_headers(user)))
    assert_secured(await client.get("/v1/admin/users", headers=user_headers(user)))  # 403
    assert_secured(await client.post("/login", data={"username": "x"}))  # 403/422, no CSRF
    big = await client.post("/v1/me/bets", content=b"x" * 2_000_000)
    assert big.status_code == 413
    assert_secured(big)


async def test_an_unexpected_error_page_is_secured_too(app):
    """500s come from Starlette's ServerErrorMiddleware, which `Edge` wraps."""

    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert_secured(response)
    assert response.headers["x-request-id"]


async def test_a_header_the_route_set_is_kept():
    async def framed(_request: object) -> PlainTextResponse:
        return PlainTextResponse(
            "ok",
            headers={"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "sandbox"},
        )

    inner = Starlette(routes=[Route("/", framed)])
    transport = httpx.ASGITransport(app=Edge(inner, max_body_bytes=1024))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers.get_list("content-security-policy") == ["sandbox"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("kind", [list, tuple, iter])
async def test_the_apps_headers_are_copied_never_changed_and_read_from_any_iterable(kind):
    """ASGI allows any iterable of headers: the edge copies them once (a generator cannot be
    read twice) and leaves the app's own list as it was (a response may be sent again)."""
    own = [(b"content-type", b"text/plain"), (b"x-frame-options", b"SAMEORIGIN")]
    sent: list[dict[str, object]] = []

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": kind(own)})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    await Edge(inner, max_body_bytes=1024)(scope, receive, send)
    headers = sent[0]["headers"]
    assert isinstance(headers, list)
    assert headers[:2] == own
    assert [name for name, _ in headers].count(b"x-frame-options") == 1
    assert headers[-1][0] == b"x-request-id"
    assert {name for name, _ in headers} >= {b"content-security-policy", b"referrer-policy"}
    assert own == [(b"content-type", b"text/plain"), (b"x-frame-options", b"SAMEORIGIN")]


async def test_websocket_and_lifespan_scopes_pass_through():
    seen: list[str] = []
    sent: list[object] = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])
        await send({"type": "websocket.accept", "headers": []})

    async def receive():
        return {"type": "lifespan.startup"}

    async def send(message):
        sent.append(message)

    for kind in ("lifespan", "websocket"):
        await Edge(inner, max_body_bytes=1024)({"type": kind}, receive, send)
    assert seen == ["lifespan", "websocket"]
    assert sent == [{"type": "websocket.accept", "headers": []}] * 2  # untouched


@pytest.mark.parametrize(
    "path",
    [*sorted(TEMPLATES.rglob("*.html")), *MARKUP_MODULES],
    ids=lambda path: path.name,
)
def test_templates_need_nothing_the_policy_forbids(path):
    """No inline script, no event-handler attributes, no inline styles, no other origins."""
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.IGNORECASE), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), "on*= handler"
    assert not re.search(r"\sstyle\s*=", text, re.IGNORECASE), "style= attribute"
    assert not re.search(r"<style", text, re.IGNORECASE), "<style> element"
    assert not re.search(r"(src|href|action)\s*=\s*[\"']?(https?:)?//", text), "other origin"
    assert "javascript:" not in text.lower()
