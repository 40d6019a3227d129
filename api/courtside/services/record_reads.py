"""My record's summary and profit chart from one read of the user's bets.

`betting.summary` (eight aggregates, then the wallet) and `betting.profit_series` (the settled
bets in order) were three statements for one page; both are small functions of the same
rows (a few columns of each of the user's bets), so the page reads those rows once and
computes both here, by the same definitions. The wallet comes with the page's viewer read.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, BetStatus
from courtside.services.bet_record import ProfitPoint, Summary

DECIDED = (BetStatus.WON.value, BetStatus.LOST.value)


async def summary_and_series(
    session: AsyncSession, user_id: int, *, balance_cents: int, starting_cents: int
) -> tuple[Summary, list[ProfitPoint]]:
    """`betting.summary` and `betting.profit_series` of one user, in one statement."""
    rows = (
        await session.execute(
            select(Bet.id, Bet.status, Bet.stake_cents, Bet.profit_cents, Bet.settled_at).where(
                Bet.user_id == user_id
            )
        )
    ).all()
    counts = {status.value: 0 for status in BetStatus}
    staked = profit = open_stake = 0
    decided = []
    for bet_id, status, stake, bet_profit, settled_at in rows:
        counts[status] = counts.get(status, 0) + 1
        profit += bet_profit or 0
        if status in DECIDED:
            staked += stake
            assert settled_at is not None
            assert bet_profit is not None
            decided.append((settled_at, bet_id, bet_profit))
        elif status == BetStatus.OPEN.value:
            open_stake += stake
    summary = Summary(
        bets=len(rows),
        won=counts[BetStatus.WON.value],
        lost=counts[BetStatus.LOST.value],
        refunded=counts[BetStatus.REFUNDED.value],
        open=counts[BetStatus.OPEN.value],
        staked_cents=staked,
        profit_cents=profit,
        open_stake_cents=open_stake,
        bankroll_cents=balance_cents,
        starting_bankroll_cents=starting_cents,
    )
    points = []
    total = 0
    for settled_at, bet_id, bet_profit in sorted(decided):
        total += bet_profit
        points.append(ProfitPoint(at=settled_at, cumulative_cents=total, bet_id=bet_id))
    return summary, points
