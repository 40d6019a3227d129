"""Which account an OpenID Connect sign-in opens: a stored link, a linked account, or a new one.

The rule (docs/security.md, "Sign-in with an identity provider"):

1. A stored link (issuer + subject) decides, whatever the address is now.
2. Else, when the provider says the address is verified (`email_verified: true`), the one
   account that has this address *confirmed* here (`email_confirmed_at`: a link we e-mailed
   to it was used) is linked, if not yet linked with this provider (a deactivated one is
   found too, and refused: a new account must not route around a deactivation). An
   address typed at sign-up proves nothing (anyone can type anyone's, and addresses are not
   unique since 0012), so an unconfirmed account is never taken over this way. Several
   confirmed accounts with the address: refused (409), we cannot tell which is theirs.
3. Else a new Consumer account is made: the username derived from `preferred_username` or
   the address and made unique, no usable password (the person can set one through "forgot
   password"), the address confirmed only if the provider verified it.

A claim the provider asserts can make the account an Admin (never the reverse: demoting is
an Admin's act here). Nothing commits; the audit log records links, new accounts and
promotions.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict, Forbidden
from courtside.models import Role, User, utcnow
from courtside.models.sso import SsoLink
from courtside.services import audit, users

SSO_PASSWORD_HASH = "!sso"  # noqa: S105 (matches no password, by design)
_NOT_USERNAME = re.compile(r"[^a-z0-9_.-]+")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    preferred_username: str | None
    is_admin: bool


async def sign_in(session: AsyncSession, identity: Identity) -> User:
    """The account this identity signs in to (made or linked on the first sign-in)."""
    link = await _link(session, identity)
    if link is None:
        user = await _linkable_account(session, identity) or await _new_account(session, identity)
        link = await _add_link(session, user, identity)
    else:
        user = await users.get_user(session, link.user_id)
    if not user.is_active or user.deleted_at is not None:
        raise Forbidden(
            "account_disabled",
            "This account is disabled. Ask an administrator to reactivate it.",
        )
    link.last_used_at = user.last_login_at = utcnow()
    if identity.is_admin and user.role != Role.ADMIN.value:
        await users.set_role(
            session, user_id=user.id, role=Role.ADMIN.value, actor=_provider(identity)
        )
    await session.flush()
    return user


def _provider(identity: Identity) -> audit.Actor:
    return audit.Actor("system", None, f"sso:{identity.issuer}"[:64])


async def _link(session: AsyncSession, identity: Identity) -> SsoLink | None:
    found = await session.execute(
        select(SsoLink).where(
            SsoLink.issuer == identity.issuer, SsoLink.subject == identity.subject
        )
    )
    return found.scalar_one_or_none()


async def _linkable_account(session: AsyncSession, identity: Identity) -> User | None:
    if not identity.email or not identity.email_verified:
        return None
    already_linked = select(SsoLink.user_id).where(SsoLink.issuer == identity.issuer)
    candidates = (
        (
            await session.execute(
                select(User)
                .where(
                    User.email == identity.email.strip().lower(),
                    User.email_confirmed_at.is_not(None),
                    User.deleted_at.is_(None),
                    User.id.not_in(already_linked),
                )
                .limit(2)
            )
        )
        .scalars()
        .all()
    )
    if len(candidates) > 1:
        raise Conflict(
            "sso_ambiguous",
            "Several Courtside accounts use this e-mail address, so we cannot tell which one "
            "is yours. Sign in with your username and password instead.",
        )
    return candidates[0] if candidates else None


def _username_base(identity: Identity) -> str:
    raw = identity.preferred_username or (identity.email or "").partition("@")[0] or "member"
    base = _NOT_USERNAME.sub("-", raw.strip().lower()).strip("-_.")[:26]
    return base if _USERNAME.fullmatch(base) else f"member-{base}"[:26].strip("-_.")


async def _free_username(session: AsyncSession, base: str) -> str:
    """`base`, else `base-2`, `base-3`, …, else `base-<random>`: usernames are public and
    unique (a unique constraint has the last word if two sign-ins race)."""
    tries = [base, *(f"{base}-{n}" for n in range(2, 10))]
    taken = set(
        (await session.execute(select(User.username).where(User.username.in_(tries)))).scalars()
    )
    free = next((name for name in tries if name not in taken), None)
    return free or f"{base}-{secrets.token_hex(2)}"


async def _new_account(session: AsyncSession, identity: Identity) -> User:
    if not identity.email:
        raise Forbidden(
            "sso_email_missing",
            "Your identity provider did not share an e-mail address with Courtside, so no "
            "account can be made. Ask your administrator to release the email scope.",
        )
    username = await _free_username(session, _username_base(identity))
    user = User(
        username=username,
        email=identity.email.strip().lower()[:254],
        password_hash=SSO_PASSWORD_HASH,
        role=Role.CONSUMER.value,
        email_confirmed_at=utcnow() if identity.email_verified else None,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise Conflict(
            "sso_retry", "Another sign-in took that username just now. Sign in again."
        ) from None
    await audit.record(
        session,
        actor=_provider(identity),
        action="user.sso_signup",
        target=f"user:{user.id}",
        details={"username": username, "issuer": identity.issuer},
    )
    return user


async def _add_link(session: AsyncSession, user: User, identity: Identity) -> SsoLink:
    link = SsoLink(user_id=user.id, issuer=identity.issuer, subject=identity.subject)
    try:
        async with session.begin_nested():
            session.add(link)
    except IntegrityError:  # the same person's first sign-in, twice at once
        raise Conflict(
            "sso_retry", "This sign-in was completed in another tab. Sign in again."
        ) from None
    await audit.record(
        session,
        actor=_provider(identity),
        action="user.sso_link",
        target=f"user:{user.id}",
        details={"username": user.username, "issuer": identity.issuer},
    )
    return link
