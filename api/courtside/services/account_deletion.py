"""Deleting an account: the person leaves, what they did stays counted, anonymously.

The row is not removed: bets reference it, and removing them would change every total
they are part of (the leaderboard's, the bets on a game). Instead the account is
anonymised and closed for good:

- its username and e-mail become `deleted:<id>`, which no sign-up can choose (a colon is
  not allowed in either) and no sign-in, reset link or sign-up can ever match, so both
  are free for someone else at once;
- the password hash becomes one no password verifies; the account is inactive and its
  token version bumped, so every session and token it had is refused;
- its display name, time zone and e-mail choice are cleared; its notifications and
  e-mail links are deleted;
- its bets and wallet stay. An account that was on the leaderboard stays there as
  "Former member" (`services.leaderboard`), never under its name again.

The audit log keeps its events, and records the deletion with the old username.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict
from courtside.models import AccountToken, Notification, Role, utcnow
from courtside.services import audit, users
from courtside.unit_of_work import invalidate_on_commit

UNUSABLE_PASSWORD_HASH = "!deleted"  # noqa: S105 (matches no password, by design)
"""Not a hash any verifier accepts: no password signs in."""


def deleted_name(user_id: int) -> str:
    return f"deleted:{user_id}"


async def delete_account(
    session: AsyncSession, *, user_id: int, actor: audit.Actor, now: datetime | None = None
) -> None:
    """Anonymise and close the account (see the module docstring). No commit."""
    user = await users.get_user(session, user_id)
    if user.deleted_at is not None:
        return
    if user.role == Role.ADMIN.value:
        raise Conflict(
            "admin_cannot_delete",
            "An administrator's account cannot be deleted: ask another administrator to "
            "make you a Consumer first, so the site is never left without one by mistake.",
        )
    username = user.username
    user.username = user.email = deleted_name(user.id)
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.is_active = False
    user.password_reset_required = False
    user.token_version += 1
    user.display_name = None
    user.time_zone = None
    user.email_notifications = False
    user.deleted_at = now or utcnow()
    await session.execute(delete(Notification).where(Notification.user_id == user.id))
    await session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    await session.flush()
    invalidate_on_commit(session, users.user_state_namespace(user.id))
    await audit.record(
        session,
        actor=actor,
        action="user.delete",
        target=f"user:{user.id}",
        details={"username": username},
    )
