"""The password login used by `POST /token`, the login page and the password change:
limits first, then the password check, then the limiter's bookkeeping."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.auth import ratelimit
from courtside.auth.oidc_config import refuse_admin_password
from courtside.errors import ApiError
from courtside.models import User
from courtside.services import users


def invalid_credentials() -> ApiError:
    return ApiError(
        401,
        "invalid_credentials",
        "Incorrect username or password.",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def password_login(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    ip: str,
    device_cookie: str | None = None,
    allow_reset: bool = False,
) -> User:
    """The user whose credentials these are; 401 (wrong), 429 (too many), 403 (must reset,
    or the account is disabled: said only to someone who gave its right password).

    With `allow_reset`, a user who must choose a new password is returned anyway (the
    password-change flow). The unit of work commits (a rehashed password, last_login_at);
    a refusal writes nothing. `device_cookie`: the request's known-device cookie
    (`auth.devices`); the caller makes the client a known device after a success.
    """
    attempt = await ratelimit.begin_attempt(username, ip, device_cookie)
    result = await users.authenticate(session, username=username, password=password)
    if result.disabled:
        raise ApiError(
            403,
            "account_disabled",
            "This account is disabled. Ask an administrator to reactivate it.",
        )
    if result.user is None:
        await attempt.failed()
        raise invalid_credentials()
    await attempt.succeeded()
    refuse_admin_password(result.user)  # OIDC_ADMIN_PASSWORD_LOGIN=false
    if result.reset_required and not allow_reset:
        raise ApiError(
            403,
            "password_reset_required",
            "An administrator asked you to choose a new password. "
            "Set one with POST /v1/auth/password or on the sign-in page.",
        )
    return result.user
