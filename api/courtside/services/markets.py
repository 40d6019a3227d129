"""The odds market of a game: every bookmaker's newest moneyline and the best price on each
side (what a bet is placed at, and what the board and the game page show)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import BetSide, OddsSnapshot
from courtside.models.betting import MAX_ABS_ODDS
from courtside.odds import is_valid_american

STALE_QUOTE = timedelta(hours=24)
"""A bookmaker's newest quote counts only if it is at most this much older than the game's
newest quote from any bookmaker (a book that stopped quoting does not set the best price)."""


class Quote(Protocol):
    """One bookmaker's moneyline at one moment: an `OddsSnapshot`, or the plain row a page
    reads (`closing_line.QuoteRow`, no ORM object to build)."""

    @property
    def id(self) -> int: ...
    @property
    def bookmaker(self) -> str: ...
    @property
    def home_odds(self) -> int: ...
    @property
    def away_odds(self) -> int: ...
    @property
    def recorded_at(self) -> datetime: ...


@dataclass(frozen=True)
class Price:
    """The best price on one side of a game, and the quote it comes from."""

    odds: int
    bookmaker: str
    recorded_at: datetime


@dataclass(frozen=True)
class Market:
    """Every bookmaker's newest moneyline for a game, and the best price on each side."""

    quotes: tuple[Quote, ...]
    """Newest snapshot per bookmaker, by bookmaker name (stale ones included)."""
    home: Price | None
    away: Price | None

    def best(self, side: str) -> Price | None:
        return self.home if side == BetSide.HOME.value else self.away


def best_price(quotes: Sequence[Quote], side: BetSide) -> Price | None:
    newest = max(quote.recorded_at for quote in quotes)
    best: Price | None = None
    for quote in quotes:
        odds = quote.home_odds if side is BetSide.HOME else quote.away_odds
        usable = is_valid_american(odds) and abs(odds) <= MAX_ABS_ODDS
        if not usable or quote.recorded_at < newest - STALE_QUOTE:
            continue
        if best is None or odds > best.odds:  # a higher American price pays more
            best = Price(odds=odds, bookmaker=quote.bookmaker, recorded_at=quote.recorded_at)
    return best


async def markets(session: AsyncSession, game_ids: Collection[int]) -> dict[int, Market]:
    """Each game's market: every bookmaker's newest snapshot and the best price per side
    (ties go to the newer quote, then the bookmaker first by name). Games without odds are
    absent."""
    if not game_ids:
        return {}
    ranked = (
        select(
            OddsSnapshot.id,
            func.row_number()
            .over(
                partition_by=(OddsSnapshot.game_id, OddsSnapshot.bookmaker),
                order_by=(OddsSnapshot.recorded_at.desc(), OddsSnapshot.id.desc()),
            )
            .label("rank"),
        )
        .where(OddsSnapshot.game_id.in_(list(game_ids)))
        .subquery()
    )
    rows = await session.scalars(
        select(OddsSnapshot)
        .join(ranked, OddsSnapshot.id == ranked.c.id)
        .where(ranked.c.rank == 1)
        .order_by(OddsSnapshot.game_id, OddsSnapshot.recorded_at.desc(), OddsSnapshot.bookmaker)
    )
    by_game: dict[int, list[OddsSnapshot]] = defaultdict(list)
    for row in rows:
        by_game[row.game_id].append(row)
    return {
        game_id: Market(
            quotes=tuple(sorted(quotes, key=lambda quote: quote.bookmaker)),
            home=best_price(quotes, BetSide.HOME),
            away=best_price(quotes, BetSide.AWAY),
        )
        for game_id, quotes in by_game.items()
    }


async def market(session: AsyncSession, game_id: int) -> Market | None:
    return (await markets(session, [game_id])).get(game_id)
