"""Notifications: a user learns that a bet settled, in the app and (if asked) by e-mail.

`bets_settled` is called by settlement inside its transaction: the notification rows
commit or roll back with the settled bets. E-mails go out only after that commit (a unit
of work hook), to the users who switched them on; a sender that fails is logged, never
raised, so sending can neither block nor undo a settlement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import BetStatus, Game, Notification, NotificationKind, Team, User, utcnow
from courtside.services.email import Email, get_sender
from courtside.unit_of_work import on_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettledBet:
    """A bet settlement (or `late_bets`) just settled: what its notification says.

    Declared here, where it is read, so that settlement imports notifications and
    nothing imports back."""

    bet_id: int
    user_id: int
    game: Game
    side: str
    stake_cents: int
    outcome: BetStatus
    profit_cents: int
    refund_reason: str | None = None
    """Why a refund, when not a postponement (`late_bets`)."""


def _units(cents: int) -> str:
    sign = "+" if cents > 0 else ("-" if cents < 0 else "")
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}.{rest:02d}"


def message_for(bet: SettledBet, teams: dict[int, str]) -> str:
    """One line a person understands, e.g. `Won: 25.00 on BOS (BOS 112-104 NYK), +23.08.`"""
    game = bet.game
    home, away = teams[game.home_team_id], teams[game.away_team_id]
    picked = home if bet.side == "home" else away
    stake = _units(bet.stake_cents).lstrip("+")
    if bet.outcome is BetStatus.REFUNDED:
        if bet.refund_reason:
            return f"Refunded: {stake} on {picked} ({away} @ {home}): {bet.refund_reason}."
        return f"Refunded: {stake} on {picked} ({away} @ {home} was postponed)."
    score = f"{away} {game.away_score}-{game.home_score} {home}"
    verb = "Won" if bet.outcome is BetStatus.WON else "Lost"
    return f"{verb}: {stake} on {picked} ({score}), {_units(bet.profit_cents)}."


async def bets_settled(
    session: AsyncSession, settled: Sequence[SettledBet], *, now: datetime | None = None
) -> None:
    """Record a notification per settled bet; e-mail the users who want one after commit."""
    now = now or utcnow()
    team_ids = {bet.game.home_team_id for bet in settled} | {
        bet.game.away_team_id for bet in settled
    }
    teams = dict(
        (
            await session.execute(select(Team.id, Team.abbreviation).where(Team.id.in_(team_ids)))
        ).all()
    )
    rows = [
        Notification(
            user_id=bet.user_id,
            bet_id=bet.bet_id,
            kind=NotificationKind.BET_SETTLED.value,
            message=message_for(bet, teams),
            created_at=now,
        )
        for bet in settled
    ]
    session.add_all(rows)
    await session.flush()
    recipients = dict(
        (
            await session.execute(
                select(User.id, User.email).where(
                    User.id.in_({bet.user_id for bet in settled}),
                    User.email_notifications.is_(True),
                    User.is_active.is_(True),
                )
            )
        ).all()
    )
    emails = [
        Email(to=recipients[row.user_id], subject="Courtside: a bet settled", body=row.message)
        for row in rows
        if row.user_id in recipients
    ]
    if emails:

        async def deliver() -> None:
            await send_all(emails)

        on_commit(session, deliver)


SEND_CONCURRENCY = 8
"""E-mails in flight at once: a batch settling many bets is not sent one by one (the
request that committed it waits for the hooks), nor all at once (SES rate limits)."""


async def send_all(emails: Sequence[Email]) -> int:
    """Send each e-mail; a failure is logged and the rest still go. Returns how many went."""
    sender = get_sender()
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(email: Email) -> bool:
        async with gate:
            try:
                await sender.send(email)
            except Exception:
                logger.exception("sending a notification e-mail failed")
                return False
            return True

    return sum(await asyncio.gather(*(one(email) for email in emails)))


async def unread_count(session: AsyncSession, user_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def recent(session: AsyncSession, user_id: int, *, limit: int = 50) -> list[Notification]:
    """The user's newest notifications."""
    return list(
        await session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


async def mark_all_read(session: AsyncSession, user_id: int, *, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
