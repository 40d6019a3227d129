"""The leaderboard: users who opted in, ranked by profit or ROI over a period.

An account deleted while on the board stays on it anonymised, as `FORMER_MEMBER` (its
bets still count; `services.account_deletion`).

Only decided bets count (won or lost: a refund or a cancellation is neither). A user needs
`LEADERBOARD_MIN_BETS` decided bets in the period to be ranked, so one lucky bet does not
top the ROI table. Equal values share a rank (1, 2, 2, 4); ties are listed by name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, BetStatus, Game, User, utcnow
from courtside.services.seasons import current_season
from courtside.settings import get_betting_settings

Period = Literal["30d", "season"]
Order = Literal["profit", "roi"]
PERIODS: tuple[Period, ...] = ("30d", "season")
ORDERS: tuple[Order, ...] = ("profit", "roi")
FORMER_MEMBER = "Former member"


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: int
    name: str
    bets: int
    won: int
    lost: int
    profit_cents: int
    staked_cents: int

    @property
    def roi(self) -> float:
        return self.profit_cents / self.staked_cents if self.staked_cents else 0.0

    @property
    def record(self) -> str:
        return f"{self.won}-{self.lost}"


@dataclass(frozen=True)
class Standing:
    """Where the viewer stands: their entry, or why they are not on the board."""

    entry: Entry | None
    reason: str | None
    bets: int
    needs_opt_in: bool = False
    """Not on the board because they have not opted in (the page links to the settings)."""


@dataclass(frozen=True)
class Leaderboard:
    period: Period
    order: Order
    min_bets: int
    season: int | None
    entries: list[Entry]


def _key(order: Order, entry: Entry) -> tuple[float, float]:
    first, second = (
        (entry.profit_cents, entry.roi) if order == "profit" else (entry.roi, entry.profit_cents)
    )
    return (first, second)


def _decided_bets(period: Period, now: datetime, season: int | None) -> list[object]:
    conditions: list[object] = [Bet.status.in_([BetStatus.WON.value, BetStatus.LOST.value])]
    if period == "30d":
        conditions.append(Bet.settled_at >= now - timedelta(days=30))
    else:
        conditions.append(Bet.game_id.in_(select(Game.id).where(Game.season == season)))
    return conditions


async def leaderboard(
    session: AsyncSession,
    *,
    period: Period = "30d",
    order: Order = "profit",
    now: datetime | None = None,
    limit: int = 100,
) -> Leaderboard:
    """The ranked users of a period (at most `limit`)."""
    now = now or utcnow()
    season = await current_season(session, now=now)
    min_bets = get_betting_settings().leaderboard_min_bets
    won = func.sum(case((Bet.status == BetStatus.WON.value, 1), else_=0))
    name = case((User.deleted_at.is_not(None), literal(FORMER_MEMBER)), else_=User.display_name)
    rows = (
        await session.execute(
            select(
                User.id,
                name,
                func.count(Bet.id),
                won,
                func.sum(Bet.profit_cents),
                func.sum(Bet.stake_cents),
            )
            .join(Bet, Bet.user_id == User.id)
            .where(
                User.leaderboard_opt_in.is_(True),
                or_(
                    and_(User.display_name.is_not(None), User.is_active.is_(True)),
                    User.deleted_at.is_not(None),
                ),
                *_decided_bets(period, now, season),  # type: ignore[arg-type]
            )
            .group_by(User.id, User.display_name, User.deleted_at)
            .having(func.count(Bet.id) >= min_bets)
        )
    ).all()
    unranked = [
        Entry(
            0,
            user_id,
            str(name),
            int(bets),
            int(wins),
            int(bets) - int(wins),
            int(profit or 0),
            int(staked or 0),
        )
        for user_id, name, bets, wins, profit, staked in rows
    ]
    unranked.sort(key=lambda e: e.name.lower())
    unranked.sort(key=lambda e: _key(order, e), reverse=True)
    entries: list[Entry] = []
    for position, entry in enumerate(unranked, start=1):
        tied = entries and _key(order, entries[-1]) == _key(order, entry)
        rank = entries[-1].rank if tied else position
        entries.append(replace(entry, rank=rank))
    return Leaderboard(period, order, min_bets, season, entries[:limit])


async def standing(
    session: AsyncSession, board: Leaderboard, user_id: int, *, now: datetime | None = None
) -> Standing:
    """The viewer's place on `board`, or the reason they have none."""
    for entry in board.entries:
        if entry.user_id == user_id:
            return Standing(entry, None, entry.bets)
    now = now or utcnow()
    user = await session.get(User, user_id)
    bets = int(
        await session.scalar(
            select(func.count(Bet.id)).where(
                Bet.user_id == user_id,
                *_decided_bets(board.period, now, board.season),  # type: ignore[arg-type]
            )
        )
        or 0
    )
    if user is None or not user.leaderboard_opt_in or user.display_name is None:
        return Standing(
            None, "You are not on the leaderboard: opt in on your settings page.", bets, True
        )
    if bets < board.min_bets:
        return Standing(
            None,
            f"You need {board.min_bets} decided bets in this period to be ranked; you have {bets}.",
            bets,
        )
    return Standing(None, "You are ranked below the listed places.", bets)
