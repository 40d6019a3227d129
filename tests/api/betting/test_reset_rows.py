"""The record's bankroll resets read as rows (`bankroll.RESETS`, issue 23) give what the ORM
read of `BankrollReset` gives, newest first, values and types, on both dialects; a reset
made in the same session and not yet flushed is among them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import BankrollReset
from courtside.services import bankroll
from tests.api.auth.helpers import make_user
from tests.helpers import both_dialects, utc

FIELDS = bankroll.ResetRow.__slots__


def _values(row: object) -> tuple[object, ...]:
    values = tuple(getattr(row, name) for name in FIELDS)
    return (*values, *map(type, values))


@both_dialects
async def test_the_reset_rows_are_the_resets(session: AsyncSession) -> None:
    user, other = await make_user(session), await make_user(session)
    start = utc(2026, 11, 1, 12)
    for n, owner in enumerate([user, other, user, user]):
        when = start + timedelta(days=n % 3)
        session.add(
            BankrollReset(
                user_id=owner.id,
                reset_at=when,
                balance_before_cents=1000 * n,
                balance_after_cents=100_000,
            )
        )
    await session.flush()
    orm = list(
        await session.scalars(
            select(BankrollReset)
            .where(BankrollReset.user_id == user.id)
            .order_by(BankrollReset.reset_at.desc(), BankrollReset.id.desc())
        )
    )
    rows = await bankroll.resets(session, user.id)
    assert len(rows) == 3
    assert [_values(row) for row in rows] == [_values(reset) for reset in orm]

    session.add(
        BankrollReset(
            user_id=user.id,
            reset_at=start + timedelta(days=9),
            balance_before_cents=5,
            balance_after_cents=100_000,
        )
    )
    newest = (await bankroll.resets(session, user.id))[0]  # pending: flushed first
    assert (newest.reset_at, newest.balance_before_cents) == (start + timedelta(days=9), 5)
