"""A user's record: their bets (filtered, sorted, paged, exported), the summary they add up
to, and the cumulative profit over time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from courtside.models import Bet, BetStatus, Game, Wallet
from courtside.schemas.common import PageParams
from courtside.services.pagination import PageOf, paginate
from courtside.settings import get_betting_settings

SORTS = {
    "newest": (Bet.placed_at.desc(), Bet.id.desc()),
    "oldest": (Bet.placed_at.asc(), Bet.id.asc()),
    "stake": (Bet.stake_cents.desc(), Bet.placed_at.desc(), Bet.id.desc()),
    "profit": (Bet.profit_cents.desc().nulls_last(), Bet.placed_at.desc(), Bet.id.desc()),
}
"""The orders a record can be listed in."""


@dataclass(frozen=True)
class BetFilters:
    """What the record shows: a status (`cancelled` is a refunded bet its user cancelled),
    a team on either side, placed within `[placed_from, placed_to)`, in an order."""

    status: str | None = None
    team_id: int | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    sort: str = "newest"


def _bets_query(user_id: int, filters: BetFilters) -> Select[Bet]:
    query = (
        select(Bet)
        .where(Bet.user_id == user_id)
        .options(  # joined, not selectin: one statement for the page, not four
            joinedload(Bet.game, innerjoin=True).joinedload(Game.home_team, innerjoin=True),
            joinedload(Bet.game, innerjoin=True).joinedload(Game.away_team, innerjoin=True),
        )
        .order_by(*SORTS.get(filters.sort, SORTS["newest"]))
    )
    if filters.status == "cancelled":
        query = query.where(Bet.cancelled_at.is_not(None))
    elif filters.status == BetStatus.REFUNDED.value:
        query = query.where(Bet.status == filters.status, Bet.cancelled_at.is_(None))
    elif filters.status is not None:
        query = query.where(Bet.status == filters.status)
    if filters.team_id is not None:
        query = query.where(
            Bet.game_id.in_(
                select(Game.id).where(
                    (Game.home_team_id == filters.team_id) | (Game.away_team_id == filters.team_id)
                )
            )
        )
    if filters.placed_from is not None:
        query = query.where(Bet.placed_at >= filters.placed_from)
    if filters.placed_to is not None:
        query = query.where(Bet.placed_at < filters.placed_to)
    return query


async def list_bets(
    session: AsyncSession,
    user_id: int,
    page: PageParams,
    *,
    status: str | None = None,
    filters: BetFilters | None = None,
) -> PageOf[Bet]:
    """A user's bets (newest first unless `filters` says otherwise), each with its game and
    teams loaded."""
    query = _bets_query(user_id, filters or BetFilters(status=status))
    return await paginate(session, query, page)


async def get_bet(session: AsyncSession, user_id: int, bet_id: int) -> Bet | None:
    """One of the user's bets (None for someone else's: it is not theirs to see)."""
    query = _bets_query(user_id, BetFilters()).where(Bet.id == bet_id)
    return await session.scalar(query.execution_options(populate_existing=True))


async def iter_bets(
    session: AsyncSession, user_id: int, *, filters: BetFilters | None = None, batch: int = 500
) -> AsyncIterator[Bet]:
    """Every bet of a user that passes `filters` (default: all, newest first), fetched in
    batches (CSV export)."""
    query = _bets_query(user_id, filters or BetFilters())
    offset = 0
    while True:
        rows = (await session.scalars(query.limit(batch).offset(offset))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        offset += batch


@dataclass(frozen=True)
class Summary:
    """A user's record. Money in cents; `win_pct`/`roi` are fractions, None before any result."""

    bets: int
    won: int
    lost: int
    refunded: int
    open: int
    staked_cents: int
    """Total stake of the decided (won or lost) bets: the base of ROI."""
    profit_cents: int
    open_stake_cents: int
    bankroll_cents: int
    starting_bankroll_cents: int

    @property
    def win_pct(self) -> float | None:
        decided = self.won + self.lost
        return self.won / decided if decided else None

    @property
    def roi(self) -> float | None:
        return self.profit_cents / self.staked_cents if self.staked_cents else None

    @property
    def record(self) -> str:
        return f"{self.won}-{self.lost}"


async def summary(session: AsyncSession, user_id: int) -> Summary:
    def count(status: BetStatus) -> Any:
        return func.coalesce(func.sum(case((Bet.status == status.value, 1), else_=0)), 0)

    def stake_where(*statuses: BetStatus) -> Any:
        values = [status.value for status in statuses]
        return func.coalesce(func.sum(case((Bet.status.in_(values), Bet.stake_cents), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Bet.id),
                count(BetStatus.WON),
                count(BetStatus.LOST),
                count(BetStatus.REFUNDED),
                count(BetStatus.OPEN),
                stake_where(BetStatus.WON, BetStatus.LOST),
                func.coalesce(func.sum(Bet.profit_cents), 0),
                stake_where(BetStatus.OPEN),
            ).where(Bet.user_id == user_id)
        )
    ).one()
    wallet = (
        await session.execute(
            select(Wallet.balance_cents, Wallet.starting_cents).where(Wallet.user_id == user_id)
        )
    ).one_or_none()
    start = get_betting_settings().starting_bankroll_cents
    balance, starting = (start, start) if wallet is None else (int(wallet[0]), int(wallet[1]))
    bets, won, lost, refunded, still_open, staked, profit, open_stake = (int(v) for v in row)
    return Summary(
        bets=bets,
        won=won,
        lost=lost,
        refunded=refunded,
        open=still_open,
        staked_cents=staked,
        profit_cents=profit,
        open_stake_cents=open_stake,
        bankroll_cents=balance,
        starting_bankroll_cents=starting,
    )


@dataclass(frozen=True)
class ProfitPoint:
    at: datetime
    cumulative_cents: int
    bet_id: int


async def profit_series(session: AsyncSession, user_id: int) -> list[ProfitPoint]:
    """Cumulative profit after each settled bet, oldest first, over every season."""
    rows = (
        await session.execute(
            select(Bet.id, Bet.settled_at, Bet.profit_cents)
            .where(
                Bet.user_id == user_id,
                Bet.status.in_([BetStatus.WON.value, BetStatus.LOST.value]),
            )
            .order_by(Bet.settled_at, Bet.id)
        )
    ).all()
    points: list[ProfitPoint] = []
    total = 0
    for bet_id, settled_at, profit in rows:
        assert settled_at is not None
        assert profit is not None
        total += profit
        points.append(ProfitPoint(at=settled_at, cumulative_cents=total, bet_id=bet_id))
    return points
