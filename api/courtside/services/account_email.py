"""What a person does through a link sent by e-mail: reset a forgotten password, change
the account's address.

Neither flow tells anyone whether an address is registered:

- **Forgot password**: whatever address is entered, the answer is the same; only an active
  account's address gets a link (`PASSWORD_RESET_LIFETIME`, single use).
- **Change e-mail** (signed in, with the current password): the new address gets a
  confirmation link and the change happens only when it is opened (so nobody can move an
  account onto an address they do not read). Addresses are contact details, not identities,
  and may be shared between accounts (`0012_email_not_unique`): whether another account uses
  the address changes nothing, so nothing can be learnt from it.
- A forgotten password for an address several accounts share sends each of them its own link
  (at most `MAX_ACCOUNTS_PER_ADDRESS`), each naming its username.

A reset password signs out every session and token (the token version is bumped) and uses
up every other link of the account. E-mails go through the same sender as notifications
(`services.email`: the file or log sink locally, SES on AWS), after the commit; a sender
that fails is logged, never raised: the change is committed either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import BadRequest, DomainError, Invalid
from courtside.models import AccountTokenPurpose, User, utcnow
from courtside.schemas.auth import Email as EmailField
from courtside.services import account_tokens, audit, passwords, users
from courtside.services.email import Email, backend, get_sender
from courtside.settings import EmailBackend, get_notification_settings
from courtside.unit_of_work import invalidate_on_commit, on_commit

logger = logging.getLogger(__name__)

RESET_PATH = "/password/reset"
CONFIRM_EMAIL_PATH = "/account/email/confirm"
_ADDRESS = TypeAdapter(EmailField)


@dataclass(frozen=True)
class Links:
    """Where the links in the e-mails point: the site's public base URL."""

    base_url: str

    def url(self, path: str, secret: str | None = None) -> str:
        return self.base_url.rstrip("/") + path + (f"?token={secret}" if secret else "")


def link_invalid() -> DomainError:
    return BadRequest(
        "link_invalid",
        "This link is not valid any more: it was used already, it expired, or a newer one "
        "was sent. Ask for a new one.",
    )


MAX_ACCOUNTS_PER_ADDRESS = 10
"""Reset links one request sends at most (one per account sharing the address)."""


def email_enabled() -> bool:
    """Whether this deployment sends e-mail at all (else the flows cannot work)."""
    return backend(get_notification_settings()) is not EmailBackend.OFF


def parse_address(value: str) -> str:
    """The address, normalised; 422 for something that is not one."""
    try:
        return _ADDRESS.validate_python(value)
    except ValidationError:
        raise Invalid("invalid_email", "Enter a valid e-mail address.") from None


def send_after_commit(session: AsyncSession, email: Email) -> None:
    async def deliver() -> None:
        try:
            await get_sender().send(email)
        except Exception:
            logger.exception("sending an account e-mail failed")

    on_commit(session, deliver)


def _actor(user: User) -> audit.Actor:
    return audit.Actor("user", str(user.id), user.username)


# --- forgot password ----------------------------------------------------------------------


async def request_password_reset(session: AsyncSession, *, email: str, links: Links) -> None:
    """E-mail a reset link for each active account with this address (addresses may be
    shared: `0012_email_not_unique`); nothing otherwise. The caller answers the same either
    way."""
    address = parse_address(email)
    accounts = await session.scalars(
        select(User)
        .where(User.email == address, User.is_active.is_(True), User.deleted_at.is_(None))
        .order_by(User.id)
        .limit(MAX_ACCOUNTS_PER_ADDRESS)
    )
    minutes = int(account_tokens.PASSWORD_RESET_LIFETIME.total_seconds() // 60)
    for user in accounts.all():
        secret = await account_tokens.issue(
            session, user_id=user.id, purpose=AccountTokenPurpose.PASSWORD_RESET
        )
        send_after_commit(
            session,
            Email(
                to=user.email,
                subject="Courtside: reset your password",
                body=(
                    f"Someone, hopefully you, asked to reset the password of the Courtside "
                    f"account {user.username}.\n\nChoose a new password here (the link works "
                    f"once, for {minutes} minutes):\n{links.url(RESET_PATH, secret)}\n\n"
                    "If it was not you, ignore this e-mail: your password stays as it is."
                ),
            ),
        )
        await audit.record(
            session,
            actor=_actor(user),
            action="user.password_reset_request",
            target=f"user:{user.id}",
        )


async def account_for_reset(session: AsyncSession, secret: str) -> User | None:
    """The account a still-good reset link is for (the page that asks for the password)."""
    found = await account_tokens.peek(session, secret, AccountTokenPurpose.PASSWORD_RESET)
    if found is None:
        return None
    user = await session.get(User, found.user_id)
    return user if user is not None and user.is_active and user.deleted_at is None else None


async def reset_password(session: AsyncSession, *, secret: str, new_password: str) -> User:
    """Set the password a reset link asked for; sign out everything; use the link up."""
    user = await account_for_reset(session, secret)
    if user is None:
        raise link_invalid()
    users.check_password(new_password, username=user.username, email=user.email)
    if await account_tokens.consume(session, secret, AccountTokenPurpose.PASSWORD_RESET) is None:
        raise link_invalid()  # used meanwhile by a concurrent request
    user.password_hash = await passwords.hash_password(new_password)
    user.password_reset_required = False
    user.email_confirmed_at = utcnow()  # the link reached this address
    user.token_version += 1  # every session and token issued before is refused
    await account_tokens.retire(session, user_id=user.id)
    await session.flush()
    invalidate_on_commit(session, users.user_state_namespace(user.id))
    await audit.record(
        session, actor=_actor(user), action="user.password_reset", target=f"user:{user.id}"
    )
    return user


# --- change e-mail ------------------------------------------------------------------------


async def request_email_change(
    session: AsyncSession, *, user_id: int, new_email: str, links: Links
) -> None:
    """Send the new address a confirmation link: the change happens when it is opened."""
    address = parse_address(new_email)
    user = await users.get_user(session, user_id)
    if address == user.email:
        raise Invalid("same_email", "That is the address of your account already.")
    await audit.record(
        session,
        actor=_actor(user),
        action="user.email_change_request",
        target=f"user:{user.id}",
    )
    secret = await account_tokens.issue(
        session, user_id=user.id, purpose=AccountTokenPurpose.EMAIL_CHANGE, new_email=address
    )
    hours = int(account_tokens.EMAIL_CHANGE_LIFETIME.total_seconds() // 3600)
    send_after_commit(
        session,
        Email(
            to=address,
            subject="Courtside: confirm your new e-mail address",
            body=(
                f"The Courtside account {user.username} asked to use this address.\n\n"
                f"Confirm it here (the link works once, for {hours} hours):\n"
                f"{links.url(CONFIRM_EMAIL_PATH, secret)}\n\n"
                "If it was not you, ignore this e-mail: nothing changes."
            ),
        ),
    )


async def pending_email_change(session: AsyncSession, secret: str) -> str | None:
    """The address a still-good confirmation link would switch to."""
    found = await account_tokens.peek(session, secret, AccountTokenPurpose.EMAIL_CHANGE)
    return None if found is None else found.new_email


async def confirm_email_change(session: AsyncSession, *, secret: str, links: Links) -> User:
    """Switch the account to the confirmed address; tell the old address."""
    used = await account_tokens.consume(session, secret, AccountTokenPurpose.EMAIL_CHANGE)
    if used is None or used.new_email is None:
        raise link_invalid()
    user = await session.get(User, used.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise link_invalid()
    old = user.email
    user.email = used.new_email
    user.email_confirmed_at = utcnow()
    await session.flush()
    invalidate_on_commit(session, users.user_state_namespace(user.id))
    await audit.record(
        session, actor=_actor(user), action="user.email_change", target=f"user:{user.id}"
    )
    send_after_commit(
        session,
        Email(
            to=old,
            subject="Courtside: your e-mail address was changed",
            body=(
                f"The Courtside account {user.username} now uses another e-mail address; "
                "this one will get nothing more from us.\n\nIf you did not do this, your "
                f"account may be in someone else's hands: sign in at {links.url('/login')} "
                "and change your password, or ask an administrator for help."
            ),
        ),
    )
    return user
