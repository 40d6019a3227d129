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
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from courtside import request_state
from courtside.auth.credentials import (
    bearer_claims,
    bearer_token,
    session_claims,
    session_token,
    user_for_claims,
)
from courtside.auth.csrf import verify_csrf_for_cookie_session
from courtside.auth.principal import (
    AuthApiKey,
    AuthUser,
    StateLoader,
    load_token_state,
)
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.models import ApiScope
from courtside.services.audit import Actor
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
    "resolve_user",
]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)
"""Only for OpenAPI (the Swagger "Authorize" button); tokens are read by `bearer_token`."""

api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

_USER_STATE = request_state.AUTH_USER


def _not_authenticated(message: str = "Sign in or send a bearer token.") -> ApiError:
    return ApiError(401, "not_authenticated", message, headers={"WWW-Authenticate": "Bearer"})


def _invalid_token() -> ApiError:
    return ApiError(
        401,
        "invalid_token",
        "The token is invalid, expired or revoked. Sign in again.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def _resolve_user(
    request: Request, session: AsyncSession, load: StateLoader
) -> AuthUser | None:
    token = bearer_token(request)
    if token is not None:
        user = await user_for_claims(session, bearer_claims(request), "bearer", load)
        if user is None:
            raise _invalid_token()
        return user
    if session_token(request) is None:
        return None
    user = await user_for_claims(session, session_claims(request), "cookie", load)
    if user is not None:
        await verify_csrf_for_cookie_session(request)
    return user


async def resolve_user(
    request: Request, session: AsyncSession, load: StateLoader = load_token_state
) -> AuthUser | None:
    """The caller if signed in, else None (an invalid bearer token: 401), remembered on the
    request for templates (`current_user`). `load` reads the token's state: cached by
    default; the pages read it with their viewer (`web.session`)."""
    user = await _resolve_user(request, session, load)
    setattr(request.state, _USER_STATE, user)
    return user


async def get_optional_user(
    request: Request,
    session: SessionDep,
    _token: Annotated[str | None, Depends(oauth2_scheme)],
) -> AuthUser | None:
    """The caller if signed in, else None. Also exposed to templates as `current_user`."""
    return await resolve_user(request, session)


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
        from courtside.services.api_keys import authenticate_key, scope_allows  # lazy: key routes

        session = work.session
        if not presented:
            if await _resolve_user(request, session, load_token_state) is not None:
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
