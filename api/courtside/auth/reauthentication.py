"""Asking a signed-in person for their current password again before a change a stolen
session must not be able to make: a new password, a new e-mail address, deleting the
account.

The password is checked exactly as at sign-in (`password_login`): the same per-username
and per-IP failure limits apply, so a session in the wrong hands cannot guess the password
any faster here than at the login form.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.auth.login import password_login
from courtside.auth.principal import AuthUser
from courtside.errors import ApiError
from courtside.models import User


async def confirm_password(
    session: AsyncSession, *, user: AuthUser, password: str, ip: str
) -> User:
    """The signed-in user's account if `password` is theirs; 422 without one, 403 for a
    wrong one, 429 past the login limits."""
    if not password:
        raise ApiError(422, "password_required", "Enter your current password.")
    try:
        return await password_login(
            session, username=user.username, password=password, ip=ip, allow_reset=True
        )
    except ApiError as exc:
        if exc.code == "invalid_credentials":
            raise ApiError(403, "wrong_password", "Your current password is not right.") from None
        raise
