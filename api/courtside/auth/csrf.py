"""CSRF protection for state-changing requests made with the session cookie.

Design: a stateless token, `HMAC-SHA256(JWT secret, binding)`, where the binding is

- the `jti` of the visitor's session JWT when they are signed in, or
- a random anonymous id kept in the `courtside_csrf` cookie (HttpOnly, SameSite=Lax)
  for visitors who are not (the login and sign-up forms).

Why this shape: a cross-site attacker can neither read the page (same-origin policy) nor
compute the HMAC (no secret), and the token cannot be planted: it changes with every login
(new `jti`), so a token seen before login is useless after, and a session token is bound
to a JWT the attacker does not have. Nothing is stored server-side (Lambda instances share
nothing), and logging out or expiring the session invalidates its tokens automatically.
SameSite=Lax on the session cookie is a second, independent layer.

The token travels in the form field `csrf_token` (HTML forms) or the `X-CSRF-Token`
header (scripts). Pages put `CsrfProtected` on every state-changing form endpoint; the
auth dependencies additionally refuse any cookie-authenticated unsafe request without it
(`verify_csrf_for_cookie_session`), so a route that forgets `CsrfProtected` is still not
forgeable for signed-in users. Either check runs once per request: the session JWT is
decoded once (`credentials.session_claims`) and a match is remembered in the request state.
Templates get the token through `csrf_context` (`LazyCsrfToken`: computed only if printed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import Request

from courtside import request_state
from courtside.auth.config import jwt_secret
from courtside.auth.cookies import csrf_cookie_name
from courtside.auth.credentials import has_verified_header_credential, session_claims
from courtside.db import SessionDep
from courtside.errors import ApiError

FIELD_NAME = "csrf_token"
HEADER_NAME = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_ANON_STATE = request_state.NEW_ANONYMOUS_CSRF_ID
_BINDING_STATE = "csrf_binding"
ISSUED_STATE = request_state.CSRF_TOKEN_ISSUED
_ANONYMOUS_ID = re.compile(r"[0-9a-f]{32}")


def _sign(binding: str) -> str:
    digest = hmac.new(jwt_secret().encode(), f"csrf|{binding}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _valid_anonymous_id(value: str | None) -> bool:
    return value is not None and _ANONYMOUS_ID.fullmatch(value) is not None


def _binding(request: Request, *, create: bool) -> str | None:
    """`s:<jti>` for a valid session cookie, else `a:<anonymous id>` (created if asked)."""
    cached = getattr(request.state, _BINDING_STATE, None)
    if cached is not None:
        return str(cached)
    claims = session_claims(request)
    binding = None if claims is None else f"s:{claims.jti}"
    if binding is None:
        anonymous = request.cookies.get(csrf_cookie_name(request))
        if not _valid_anonymous_id(anonymous):
            anonymous = getattr(request.state, _ANON_STATE, None)
        if not anonymous and create:
            anonymous = secrets.token_hex(16)
            setattr(request.state, _ANON_STATE, anonymous)
        binding = f"a:{anonymous}" if anonymous else None
    if binding is not None:
        setattr(request.state, _BINDING_STATE, binding)
    return binding


def csrf_token(request: Request) -> str:
    """The token forms on this page must send back."""
    binding = _binding(request, create=True)
    assert binding is not None
    setattr(request.state, ISSUED_STATE, True)
    return _sign(binding)


def forget_binding(request: Request) -> None:
    """After login/logout the binding changes; the next token is computed afresh."""
    if hasattr(request.state, _BINDING_STATE):
        delattr(request.state, _BINDING_STATE)


async def submitted_token(request: Request) -> str:
    header = request.headers.get(HEADER_NAME)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD_NAME)
        return value if isinstance(value, str) else ""
    return ""


def token_matches(request: Request, token: str) -> bool:
    binding = _binding(request, create=False)
    if binding is None or not token:
        return False
    return hmac.compare_digest(_sign(binding), token)


async def verify_csrf_for_cookie_session(request: Request) -> None:
    """The same for a request the session cookie authenticates: here a header credential
    changes nothing (even a bogus `X-API-Key` must not excuse a cookie-authenticated write)."""
    if request.method in SAFE_METHODS:
        return
    await require_token(request)


async def require_token(request: Request) -> None:
    """403 unless the request carries this visitor's token; a match is remembered, so the
    page's `CsrfProtected` and the cookie-session check behind it check once."""
    if getattr(request.state, request_state.CSRF_VERIFIED, False):
        return
    if not token_matches(request, await submitted_token(request)):
        raise ApiError(
            403,
            "csrf_failed",
            "The form has expired or did not come from this site. Reload the page and retry.",
        )
    setattr(request.state, request_state.CSRF_VERIFIED, True)


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
