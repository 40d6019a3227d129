"""The credentials a request carries, read and checked once.

- `bearer_token`: the `Authorization: Bearer` token (or CloudFront's forwarded copy).
- `session_claims` / `bearer_claims`: the session cookie's / the bearer token's JWT,
  decoded once per request and kept in the request state, so the user dependency, the
  CSRF binding and the CSRF exemption of header credentials share one decode.
- `user_for_claims`: the user a token's claims sign in right now (checked against the
  database, cached briefly: see `principal`).
- `has_verified_header_credential`: whether a bearer token or API key verifies (such a
  request needs no CSRF token).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from courtside import request_state
from courtside.auth.cookies import session_cookie_name
from courtside.auth.principal import AuthUser, CredentialSource, StateLoader, load_token_state
from courtside.auth.tokens import InvalidToken, TokenClaims, decode_token
from courtside.settings import get_app_settings

_SIGV4_PREFIX = "AWS4-HMAC-SHA256"
_NOT_YET = object()


def decoded(token: str) -> TokenClaims | None:
    """The token's claims, or None for a malformed, expired or forged token."""
    try:
        return decode_token(token)
    except InvalidToken:
        return None


def session_token(request: Request) -> str | None:
    """The raw session cookie, if the request carries one."""
    return request.cookies.get(session_cookie_name(request)) or None


def _decoded_once(request: Request, key: str, token: str | None) -> TokenClaims | None:
    cached = getattr(request.state, key, _NOT_YET)
    if cached is not _NOT_YET:
        return cached if isinstance(cached, TokenClaims) else None
    claims = None if token is None else decoded(token)
    setattr(request.state, key, claims)
    return claims


def session_claims(request: Request) -> TokenClaims | None:
    """The session cookie's claims (None: no cookie, or one that does not verify), decoded
    on the first call of the request and remembered for the rest of it."""
    return _decoded_once(request, request_state.SESSION_CLAIMS, session_token(request))


def bearer_claims(request: Request) -> TokenClaims | None:
    """The bearer token's claims (None: no bearer token, or one that does not verify),
    decoded once per request like `session_claims`."""
    return _decoded_once(request, request_state.BEARER_CLAIMS, bearer_token(request))


def bearer_token(request: Request) -> str | None:
    """The bearer token, if the request carries one.

    Behind CloudFront, Origin Access Control re-signs the request and overwrites
    `Authorization` with a SigV4 value; a CloudFront function copies the viewer's header to
    `X-Forwarded-Authorization` first, so read that one instead (only behind CloudFront:
    elsewhere a client could use it to smuggle a header past a proxy).
    """
    header = request.headers.get("authorization")
    if get_app_settings().behind_cloudfront and (not header or header.startswith(_SIGV4_PREFIX)):
        header = request.headers.get("x-forwarded-authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


async def user_for_claims(
    session: AsyncSession,
    claims: TokenClaims | None,
    source: CredentialSource,
    load: StateLoader = load_token_state,
) -> AuthUser | None:
    """The user these claims sign in right now, or None (no claims: a malformed, expired or
    forged token; or signed out, or the user's state no longer matches the token). `load`
    reads the state: the cached one (`load_token_state`), or a page's read of it with its
    viewer (`web.session`)."""
    if claims is None:
        return None
    state = await load(session, claims.user_id, claims.jti)
    if (
        state is None
        or state.token_revoked
        or not state.is_active
        or state.token_version != claims.version
        or state.role != claims.role
    ):
        return None
    return AuthUser(
        id=claims.user_id,
        username=state.username,
        email=state.email,
        role=state.role,
        token_version=state.token_version,
        jti=claims.jti,
        source=source,
        password_reset_required=state.password_reset_required,
    )


async def has_verified_header_credential(request: Request, session: AsyncSession) -> bool:
    """Whether the request carries a bearer token or an API key that is valid right now.

    Such a request cannot be forged cross-site (a browser sends neither header on its own,
    and custom headers need a CORS preflight this app never grants), so it needs no CSRF
    token. A header that merely looks like a credential proves nothing.
    """
    token = bearer_token(request)
    if (
        token is not None
        and await user_for_claims(session, bearer_claims(request), "bearer") is not None
    ):
        return True
    presented = request.headers.get("x-api-key")
    if presented:
        from courtside.services.api_keys import find_key  # lazy: only API-key callers need it

        key = await find_key(session, presented)
        return key is not None and key.revoked_at is None
    return False
