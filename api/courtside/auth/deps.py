"""Auth dependencies for routers: who is calling and what they may do.

- `CurrentUser`: a signed-in person (bearer token or the web session cookie), else 401.
- `OptionalUser`: the same, or None for anonymous callers (an invalid *bearer* token is
  still 401; an invalid or expired *cookie* just counts as anonymous).
- `AdminUser`: 401 anonymous, 403 for non-admins.
- `require_scope("read" | "write")`: an API key (`X-API-Key`) with that scope (`write`
  implies `read`); 401 without a key, 403 with the wrong scope or with a user token
  instead of a key (people do not use machine routes).
- `actor_for_user` / `actor_for_key`: the audit-log `Actor` of a caller.

Every request re-checks the token's user against the database (cached briefly, see
`principal`): a deactivated user, a changed role or a bumped token version is 401 at once.
A cookie-authenticated unsafe request (POST, ...) must also carry the CSRF token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.requests import Request

from courtside import request_state
from courtside.auth.cookies import session_cookie_name
from courtside.auth.csrf import verify_csrf_for_cookie_session
from courtside.auth.principal import (
    AuthApiKey,
    AuthUser,
    CredentialSource,
    load_token_state,
)
from courtside.auth.tokens import InvalidToken, decode_token
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.models import ApiScope
from courtside.services.audit import Actor
from courtside.settings import get_app_settings
from courtside.unit_of_work import UnitOfWorkDep

__all__ = [
    "AdminUser",
    "AuthApiKey",
    "AuthUser",
    "CurrentUser",
    "OptionalUser",
    "actor_for_key",
    "actor_for_user",
    "get_current_user",
    "get_optional_user",
    "require_admin",
    "require_scope",
]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)
"""Only for OpenAPI (the Swagger "Authorize" button); tokens are read by `bearer_token`."""

api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

_USER_STATE = request_state.AUTH_USER
_SIGV4_PREFIX = "AWS4-HMAC-SHA256"


def _not_authenticated(message: str = "Sign in or send a bearer token.") -> ApiError:
    return ApiError(401, "not_authenticated", message, headers={"WWW-Authenticate": "Bearer"})


def _invalid_token() -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        "The token is invalid, expired or revoked. Sign in again.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


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


async def _user_for_token(
    session: SessionDep, token: str, source: CredentialSource
) -> AuthUser | None:
    """The user this token signs in right now, or None (malformed, expired, forged, signed
    out, or the user's state no longer matches it)."""
    try:
        claims = decode_token(token)
    except InvalidToken:
        return None
    state = await load_token_state(session, claims.user_id, claims.jti)
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


async def _resolve_user(request: Request, session: SessionDep) -> AuthUser | None:
    token = bearer_token(request)
    if token is not None:
        user = await _user_for_token(session, token, "bearer")
        if user is None:
            raise _invalid_token()
        return user
    cookie = request.cookies.get(session_cookie_name(request))
    if not cookie:
        return None
    user = await _user_for_token(session, cookie, "cookie")
    if user is not None:
        await verify_csrf_for_cookie_session(request)
    return user


async def has_verified_header_credential(request: Request, session: SessionDep) -> bool:
    """Whether the request carries a bearer token or an API key that is valid right now.

    Such a request cannot be forged cross-site (a browser sends neither header on its own,
    and custom headers need a CORS preflight this app never grants), so it needs no CSRF
    token. A header that merely looks like a credential proves nothing.
    """
    token = bearer_token(request)
    if token is not None and await _user_for_token(session, token, "bearer") is not None:
        return True
    presented = request.headers.get("x-api-key")
    if presented:
        from courtside.services.api_keys import find_key

        key = await find_key(session, presented)
        return key is not None and key.revoked_at is None
    return False


async def get_optional_user(
    request: Request,
    session: SessionDep,
    _token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AuthUser | None:
    """The caller if signed in, else None. Also exposed to templates as `current_user`."""
    user = await _resolve_user(request, session)
    setattr(request.state, _USER_STATE, user)
    return user


async def get_current_user(
    user: Annotated[AuthUser | None, Depends(get_optional_user)],
) -> AuthUser:
    if user is None:
        raise _not_authenticated()
    return user


async def require_admin(user: Annotated[AuthUser, Depends(get_current_user)]) -> AuthUser:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "This needs the Admin role.")
    return user


OptionalUser = Annotated[AuthUser | None, Depends(get_optional_user)]
CurrentUser = Annotated[AuthUser, Depends(get_current_user)]
AdminUser = Annotated[AuthUser, Depends(require_admin)]


def require_scope(scope: str) -> Callable[..., Awaitable[AuthApiKey]]:
    """A dependency returning the calling `AuthApiKey`, which must grant `scope`.

    Usage: `key: Annotated[AuthApiKey, Depends(require_scope("write"))]`. The key's
    `last_used_at` is written in the request's unit of work.
    """
    needed = ApiScope(scope).value

    async def dependency(
        request: Request,
        work: UnitOfWorkDep,
        presented: Annotated[str | None, Depends(api_key_scheme)],
    ) -> AuthApiKey:
        from courtside.services.api_keys import authenticate_key, scope_allows

        session = work.session
        if not presented:
            if await _resolve_user(request, session) is not None:
                raise ApiError(
                    403, "api_key_required", "This route is for API keys, not user tokens."
                )
            raise ApiError(
                401,
                "api_key_required",
                "Send an API key in the X-API-Key header.",
                headers={"WWW-Authenticate": "ApiKey"},
            )
        row = await authenticate_key(session, presented)
        key = AuthApiKey(id=row.id, name=row.name, scope=row.scope, prefix=row.prefix)
        setattr(request.state, request_state.AUTH_API_KEY, key)
        if not scope_allows(key.scope, needed):
            raise ApiError(403, "insufficient_scope", f"This route needs a {needed!r} API key.")
        return key

    dependency.__name__ = f"require_scope_{needed}"
    return dependency


def actor_for_user(user: AuthUser) -> Actor:
    return Actor("user", str(user.id), user.username)


def actor_for_key(key: AuthApiKey) -> Actor:
    return Actor("api_key", str(key.id), key.name)


def request_user(request: Request) -> AuthUser | None:
    """The user an auth dependency resolved for this request (templates' `current_user`)."""
    user = getattr(request.state, _USER_STATE, None)
    return user if isinstance(user, AuthUser) else None
