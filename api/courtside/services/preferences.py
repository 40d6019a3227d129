"""A user's own settings: the time zone times are shown in, the leaderboard opt-in with a
public display name, and e-mail notifications. Also what every page needs about the
signed-in viewer (zone and unread notifications) in one query."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict, Invalid
from courtside.models import Notification, User, Wallet
from courtside.services import audit
from courtside.services.users import get_user

DISPLAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{1,30}[A-Za-z0-9]$")
"""3-32 characters: letters, digits, space, `.`, `_`, `-`; starting and ending with a letter
or digit."""


@dataclass(frozen=True)
class Preferences:
    time_zone: str | None
    display_name: str | None
    leaderboard_opt_in: bool
    email_notifications: bool


@dataclass(frozen=True)
class Viewer:
    """What the layout shows for a signed-in user."""

    time_zone: str | None
    unread: int
    balance_cents: int | None = None
    """The wallet's balance (None: no wallet yet, the starting bankroll), read with the rest
    so that a page showing the bankroll needs no statement of its own."""
    starting_cents: int | None = None
    unit_cents: int | None = None
    """The wallet's unit (None: the default, `units.unit_from`)."""


def zone_names() -> list[str]:
    """The IANA zones a user may choose (no legacy aliases), sorted."""
    return sorted(
        name for name in available_timezones() if "/" in name and not name.startswith("Etc/")
    )


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("invalid_time_zone", f"Unknown time zone {name[:64]!r}.") from None
    return name


async def get_preferences(session: AsyncSession, user_id: int) -> Preferences:
    user = await get_user(session, user_id)
    return Preferences(
        user.time_zone, user.display_name, user.leaderboard_opt_in, user.email_notifications
    )


async def update_preferences(
    session: AsyncSession, *, user_id: int, changes: Preferences, actor: audit.Actor
) -> Preferences:
    """Save the user's settings. Refuses (422) an unknown zone, a malformed display name,
    and the leaderboard without a display name; (409) a display name another user has."""
    zone = _check_zone(changes.time_zone) if changes.time_zone else None
    name = (changes.display_name or "").strip() or None
    if name is not None and not DISPLAY_NAME.fullmatch(name):
        raise Invalid(
            "invalid_display_name",
            "A display name is 3-32 letters, digits, spaces, dots, dashes or underscores.",
        )
    if changes.leaderboard_opt_in and name is None:
        raise Invalid(
            "display_name_required", "Choose a display name to appear on the leaderboard."
        )
    if name is not None:
        taken = await session.scalar(
            select(User.id).where(func.lower(User.display_name) == name.lower(), User.id != user_id)
        )
        if taken is not None:
            raise Conflict("display_name_taken", "That display name is taken.")
    user = await get_user(session, user_id)
    user.time_zone = zone
    user.display_name = name
    user.leaderboard_opt_in = changes.leaderboard_opt_in
    user.email_notifications = changes.email_notifications
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="user.preferences",
        target=f"user:{user_id}",
        details={
            "time_zone": zone,
            "display_name": name,
            "leaderboard_opt_in": changes.leaderboard_opt_in,
            "email_notifications": changes.email_notifications,
        },
    )
    return await get_preferences(session, user_id)


def viewer_statement(*leading: Any) -> Select[Any]:
    """The viewer's columns (`viewer_of` reads them) after the `leading` columns, of the user
    whose id is the `user` parameter. A page's sign-in check reads the token's state with
    them in one statement (`auth.principal.load_token_state_and_viewer`)."""
    user: BindParameter[int] = bindparam("user", type_=Integer)
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    columns: tuple[Any, ...] = (
        User.time_zone,
        unread,
        Wallet.balance_cents,
        Wallet.starting_cents,
        Wallet.unit_cents,
    )
    return (
        select(*leading, *columns)
        .outerjoin(Wallet, Wallet.user_id == User.id)
        .where(User.id == user)
    )


def viewer_of(columns: Sequence[Any]) -> Viewer:
    """The `Viewer` of `viewer_statement`'s viewer columns."""
    return Viewer(columns[0], int(columns[1] or 0), columns[2], columns[3], columns[4])
