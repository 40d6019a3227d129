"""Resetting a bankroll: back to the starting amount, on the record.

A reset changes the wallet only: every bet before it stays as it was (the record, the
chart and the leaderboard still count them), and a `bankroll_resets` row keeps the balance
it replaced, which the record page lists. A reset waits until no bet is open: an open
bet's stake is out of the wallet, and settling it into a reset bankroll would mix the two.

Concurrency: the wallet row is locked first (PostgreSQL `FOR UPDATE`; SQLite's writer lock
is taken by the transaction's first statement), then the open bets are counted, so a bet
placed at the same moment (which locks the wallet too) is either seen or placed after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead
from courtside.domain_errors import Conflict
from courtside.http_cache import RECORDS
from courtside.models import BankrollReset, Bet, BetStatus, Wallet, utcnow
from courtside.prepared import Prepared
from courtside.services import audit, wallets
from courtside.services.page_reads import read_prepared
from courtside.settings import get_betting_settings, get_cache_settings
from courtside.unit_of_work import invalidate_on_commit


async def reset_bankroll(
    session: AsyncSession, *, user_id: int, actor: audit.Actor, now: datetime | None = None
) -> BankrollReset:
    """Set the user's bankroll to the starting amount and record it; 409 while bets are
    open. No commit."""
    now = now or utcnow()
    await wallets.wallet_for(session, user_id)  # created with the start if missing
    query = (
        select(Wallet).where(Wallet.user_id == user_id).execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    wallet = (await session.scalars(query)).one()
    still_open = int(
        await session.scalar(
            select(func.count(Bet.id)).where(
                Bet.user_id == user_id, Bet.status == BetStatus.OPEN.value
            )
        )
        or 0
    )
    if still_open:
        raise Conflict(
            "bets_open",
            f"You have {still_open} open bet{'s' if still_open != 1 else ''}: reset your "
            "bankroll once they have settled, or cancel them first.",
        )
    start = get_betting_settings().starting_bankroll_cents
    record = BankrollReset(
        user_id=user_id, reset_at=now, balance_before_cents=wallet.balance_cents,
        balance_after_cents=start,
    )  # fmt: skip
    wallet.balance_cents = wallet.starting_cents = start
    wallet.updated_at = now
    session.add(record)
    await session.flush()
    invalidate_on_commit(session, RECORDS)  # the resets the cache holds, once committed
    await audit.record(
        session,
        actor=actor,
        action="bankroll.reset",
        target=f"user:{user_id}",
        details={"before_cents": record.balance_before_cents, "after_cents": start},
    )
    return record


@dataclass(frozen=True, slots=True)
class ResetRow:
    """A bankroll reset as the record page shows it (`BankrollReset`'s names)."""

    id: int
    reset_at: datetime
    balance_before_cents: int
    balance_after_cents: int


RESETS = Prepared(
    lambda: (
        select(*(getattr(BankrollReset, name) for name in ResetRow.__slots__))
        .where(BankrollReset.user_id == bindparam("user", type_=Integer))
        .order_by(BankrollReset.reset_at.desc(), BankrollReset.id.desc())
    )
)
"""`resets`' statement, compiled once (issue 23: the record page reads it on every request;
through the ORM session it cost the record ~5 % of its CPU); the user is `user`."""


async def resets(session: AsyncSession, user_id: int) -> list[ResetRow]:
    """The user's bankroll resets, newest first, as rows."""
    return [ResetRow(*row) for row in await read_prepared(session, RESETS, {"user": user_id})]


def resets_read(session: AsyncSession, user_id: int) -> CacheRead:
    """`resets` as a cache read (`Cache.get_or_build`'s arguments; `resets_of` its value), in
    `RECORDS`, which a reset invalidates: the record page reads it with its other cache
    reads in one round trip instead of a statement (issue 23)."""

    async def build() -> bytes:
        rows = await resets(session, user_id)
        return json.dumps(
            [[row.id, row.reset_at.isoformat(), row.balance_before_cents,
              row.balance_after_cents] for row in rows],
            separators=(",", ":"),
        ).encode()  # fmt: skip

    return RECORDS, f"resets:{user_id}", get_cache_settings().cache_ttl_seconds, build


def resets_of(raw: bytes) -> list[ResetRow]:
    return [
        ResetRow(reset_id, datetime.fromisoformat(at), before, after)
        for reset_id, at, before, after in json.loads(raw)
    ]
