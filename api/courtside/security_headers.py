"""Security headers on every response, API and HTML alike (pure ASGI, on the hot path).

The Content-Security-Policy allows nothing from another origin and no inline script:
pages load `/static/...` only, and the API docs use vendored Swagger UI (`web.api_docs`).
`img-src data:` is for the icons Swagger UI's stylesheet embeds as data URIs. A header a
route sets itself is left alone. The header bytes are built once, at import.

`install_security_headers(app)` wraps the app *outside* Starlette's ServerErrorMiddleware,
so even a 500 page carries the headers (ordinary middleware sits inside it).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode("latin-1"), value.encode("latin-1"))
    for name, value in (
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
    )
)
_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)


class SecurityHeaders:
    """Add `SECURITY_HEADERS` to each HTTP response that does not already set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                own = {name.lower() for name, _ in headers if name.lower() in _NAMES}
                if own:
                    headers.extend(item for item in SECURITY_HEADERS if item[0] not in own)
                else:
                    headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: Starlette) -> None:
    """Wrap the whole middleware stack (ServerErrorMiddleware included) in `SecurityHeaders`."""
    build = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build())

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
