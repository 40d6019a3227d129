"""The secrets of the links sent by e-mail: reset a password, confirm a new address.

A link carries 256 random bits (`secrets.token_urlsafe(32)`); the database keeps only their
SHA-256, so a copy of the table opens nothing, and the secret is unguessable, so it needs
no signature: what a signature would prove (that the server made it) the stored hash
proves, and unlike a signature it can be used up. A token is

- **single use**: `consume` marks it used with one conditional UPDATE (`used_at IS NULL`),
  so of two requests racing with the same link exactly one gets the account;
- **expiring**: `PASSWORD_RESET_LIFETIME`, `EMAIL_CHANGE_LIFETIME`;
- **the only live one of its kind**: issuing a new token retires the user's earlier unused
  ones of the same purpose (the newest e-mail is the one that works), and a password
  reset retires every token of the user.

Nothing here commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import AccountToken, AccountTokenPurpose, utcnow

PASSWORD_RESET_LIFETIME = timedelta(minutes=30)
EMAIL_CHANGE_LIFETIME = timedelta(hours=24)
LIFETIMES = {
    AccountTokenPurpose.PASSWORD_RESET: PASSWORD_RESET_LIFETIME,
    AccountTokenPurpose.EMAIL_CHANGE: EMAIL_CHANGE_LIFETIME,
}
MAX_SECRET_LENGTH = 128
"""A secret longer than this was never issued (43 characters are): refused unhashed."""


@dataclass(frozen=True)
class UsedToken:
    user_id: int
    new_email: str | None


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _plausible(secret: str) -> bool:
    return 0 < len(secret) <= MAX_SECRET_LENGTH and secret.isascii()


async def issue(
    session: AsyncSession,
    *,
    user_id: int,
    purpose: AccountTokenPurpose,
    new_email: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new link secret for the user (returned once: only its hash is stored)."""
    now = now or utcnow()
    await retire(session, user_id=user_id, purpose=purpose, now=now)
    secret = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose.value,
            token_hash=token_hash(secret),
            new_email=new_email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    await session.flush()
    return secret


async def retire(
    session: AsyncSession,
    *,
    user_id: int,
    purpose: AccountTokenPurpose | None = None,
    now: datetime | None = None,
) -> None:
    """Use up the user's unused tokens (of one purpose, or all)."""
    query = update(AccountToken).where(
        AccountToken.user_id == user_id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose.value)
    await session.execute(
        query.values(used_at=now or utcnow()).execution_options(synchronize_session=False)
    )


async def peek(
    session: AsyncSession, secret: str, purpose: AccountTokenPurpose, *, now: datetime | None = None
) -> UsedToken | None:
    """What a still-good token is for, without using it (the page that asks to confirm);
    None for a secret that is unknown, used or expired."""
    if not _plausible(secret):
        return None
    row = (
        await session.execute(
            select(AccountToken.user_id, AccountToken.new_email).where(
                AccountToken.token_hash == token_hash(secret),
                AccountToken.purpose == purpose.value,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > (now or utcnow()),
            )
        )
    ).one_or_none()
    return None if row is None else UsedToken(row.user_id, row.new_email)


async def consume(
    session: AsyncSession, secret: str, purpose: AccountTokenPurpose, *, now: datetime | None = None
) -> UsedToken | None:
    """Use the token up if it is good (one conditional update: a second use, even a
    concurrent one, gets None); None for a secret that is unknown, used or expired."""
    if not _plausible(secret):
        return None
    now = now or utcnow()
    row = (
        await session.execute(
            update(AccountToken)
            .where(
                AccountToken.token_hash == token_hash(secret),
                AccountToken.purpose == purpose.value,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(AccountToken.user_id, AccountToken.new_email)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    return None if row is None else UsedToken(row.user_id, row.new_email)
