"""Security headers on every response, API and HTML alike (added by `courtside.edge`).

The Content-Security-Policy allows nothing from another origin and no inline script:
pages load `/static/...` only, and the API docs use vendored Swagger UI (`web.api_docs`).
`img-src data:` is for the icons Swagger UI's stylesheet embeds as data URIs. A header a
route sets itself is left alone. The header bytes are built once, at import.

`courtside.edge` adds them, outside Starlette's ServerErrorMiddleware, so even a 500 page
carries the headers.
"""

from __future__ import annotations

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
SECURITY_HEADER_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
