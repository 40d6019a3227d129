"""Whether visitors may create accounts: one rule for the JSON API and the sign-up page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import DomainError, Forbidden
from courtside.services import flags
from courtside.settings import get_auth_settings


async def signup_allowed(session: AsyncSession) -> bool:
    """Sign-up is open only if the SIGNUP_ENABLED setting and the signup_open flag both are."""
    return get_auth_settings().signup_enabled and await flags.is_enabled(session, flags.SIGNUP_OPEN)


def signup_closed() -> DomainError:
    return Forbidden("signup_closed", "Sign-up is closed at the moment.")
