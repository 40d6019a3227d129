"""Wallets: the bankroll a user stakes from, created with the starting bankroll on first use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Wallet, utcnow
from courtside.settings import get_betting_settings


async def ensure_wallet(session: AsyncSession, user_id: int) -> None:
    """Create the user's wallet with the starting bankroll unless it exists (race-free)."""
    start = get_betting_settings().starting_bankroll_cents
    values = {
        "user_id": user_id,
        "balance_cents": start,
        "starting_cents": start,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    if session.get_bind().dialect.name == "postgresql":
        # lazy: one dialect's module, the one the session runs on
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(pg_insert(Wallet).values(**values).on_conflict_do_nothing())
    else:
        # lazy: one dialect's module, the one the session runs on
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(sqlite_insert(Wallet).values(**values).on_conflict_do_nothing())


async def bankroll_cents(session: AsyncSession, user_id: int) -> int:
    """What the user may still stake: the wallet's balance, or the starting bankroll."""
    balance = await session.scalar(select(Wallet.balance_cents).where(Wallet.user_id == user_id))
    return get_betting_settings().starting_bankroll_cents if balance is None else int(balance)


async def wallet_for(session: AsyncSession, user_id: int) -> Wallet:
    """The user's wallet, created with the starting bankroll on first use."""
    await ensure_wallet(session, user_id)
    return (await session.scalars(select(Wallet).where(Wallet.user_id == user_id))).one()
