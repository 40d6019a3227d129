"""CSRF for the pages: the `CsrfProtected` dependency and the token every template gets.

The token itself (its binding, signature and check) is `courtside.auth.csrf`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request

from courtside.auth.csrf import SAFE_METHODS, csrf_token, require_token
from courtside.auth.deps import has_verified_header_credential
from courtside.db import SessionDep


async def verify_csrf(request: Request, session: SessionDep) -> None:
    """Raise 403 unless an unsafe request carries this visitor's CSRF token, or a bearer
    token or API key that verifies (scripts need no CSRF token; a junk header is no excuse)."""
    if request.method in SAFE_METHODS:
        return
    if await has_verified_header_credential(request, session):
        return
    await require_token(request)


CsrfProtected = Annotated[None, Depends(verify_csrf)]
"""Put on every state-changing form endpoint (POST/PUT/PATCH/DELETE from a page)."""


class LazyCsrfToken:
    """Renders as the token, but only computes it (and, for a new visitor, sets the
    anonymous cookie and marks the response private) if a template actually prints it:
    a public page without forms stays cookie-free and cacheable. Computed once per render:
    a board prints it in every card's form, and each HMAC costs a few microseconds."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._token: str | None = None

    def __str__(self) -> str:
        if self._token is None:
            self._token = csrf_token(self._request)
        return self._token

    def __html__(self) -> str:
        return str(self)  # url-safe base64: nothing to escape

    def __bool__(self) -> bool:
        return True


def csrf_context(request: Request) -> dict[str, Any]:
    """Template context hook: `csrf_token` for every page."""
    return {"csrf_token": LazyCsrfToken(request)}
