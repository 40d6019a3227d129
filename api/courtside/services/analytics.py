"""A bettor's analytics: ROI, units, average odds against the break-even rate, closing line
value, breakdowns, streaks and the running series the record page charts.

What counts: the user's *decided* bets (won or lost), as in `betting.summary` (a refund or
a cancellation is no result). One query loads them with their games and their closing
line (`bet_rows`: each book's last pre-game quote joined, the best price per side as
`closing_line.closing_markets`).

**Closing line value (CLV)** of a bet: the implied probability of the closing price on the
side the user took, minus the implied probability of the price they took. Positive means
they got a better price than the market's last word (at +130 against a +110 close:
0.476 - 0.435 = +0.041). A bet whose game has no pre-game quote has no CLV and is left
out of the average.

**Break-even rate**: the mean implied probability of the prices taken, the win rate at
which bets at those prices (equal stakes) would about break even. **Average odds**: the
mean decimal price, shown back as American odds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BindParameter, Integer, Select, and_, bindparam, case, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from courtside.models import Bet, BetSide, BetStatus, Game, Team, User
from courtside.odds import implied_probability
from courtside.services import closing_line
from courtside.services.closing_line import QuoteRow
from courtside.services.page_reads import read_columns
from courtside.services.units import Unit, unit_of
from courtside.settings import get_app_settings

ODDS_BANDS: tuple[tuple[str, Callable[[int], bool]], ...] = (
    ("-200 or shorter", lambda odds: odds <= -200),
    ("-199 to -100", lambda odds: -200 < odds < 0),
    ("+100 to +199", lambda odds: 0 < odds < 200),
    ("+200 or longer", lambda odds: odds >= 200),
)
"""The odds bands of the breakdown, in order (American odds are never in (-100, 100))."""


def decimal_odds(odds: int) -> float:
    """What one unit returns when it wins, stake included: +150 → 2.5, -200 → 1.5."""
    return 1 + (odds / 100 if odds > 0 else 100 / -odds)


def american_odds(decimal: float) -> int:
    """The American price of a decimal price (rounded): 2.0933 → +109, 1.6 → -167."""
    if decimal >= 2:
        return round((decimal - 1) * 100)
    return round(-100 / (decimal - 1))


@dataclass(frozen=True)
class DecidedBet:
    """One won or lost bet with what the analytics need to know about it."""

    bet_id: int
    settled_at: datetime
    tip_off: datetime
    side: str
    team: str
    """The abbreviation of the team backed."""
    odds: int
    closing_odds: int | None
    """The best closing price on the same side; None without a pre-game quote."""
    stake_cents: int
    profit_cents: int

    @property
    def won(self) -> bool:
        return self.profit_cents >= 0

    @cached_property
    def clv(self) -> float | None:
        """Computed once a bet (issue 23: the record's averages, series and breakdowns asked
        for it ~5 times a bet, each two `implied_probability` calls)."""
        if self.closing_odds is None:
            return None
        return implied_probability(self.closing_odds) - implied_probability(self.odds)


@dataclass(frozen=True)
class Slice:
    """A breakdown's row: the record, stake, profit and ROI of some of the bets."""

    label: str
    won: int
    lost: int
    staked_cents: int
    profit_cents: int

    @property
    def bets(self) -> int:
        return self.won + self.lost

    @property
    def record(self) -> str:
        return f"{self.won}-{self.lost}"

    @property
    def roi(self) -> float | None:
        return self.profit_cents / self.staked_cents if self.staked_cents else None


@dataclass(frozen=True)
class Streaks:
    current: str
    """`W3`, `L1`, or empty before any result."""
    longest_win: int
    longest_loss: int


@dataclass(frozen=True)
class SeriesPoint:
    """After one decided bet (in settlement order): profit so far and the running CLV."""

    at: datetime
    bet_id: int
    cumulative_cents: int
    running_clv: float | None
    """The average CLV of the bets so far that have one."""


@dataclass(frozen=True)
class Breakdowns:
    month: list[Slice]
    team: list[Slice]
    price: list[Slice]
    """Favourite (negative odds) and underdog (positive odds)."""
    venue: list[Slice]
    """Home and away: the side backed."""
    odds_band: list[Slice]


@dataclass(frozen=True)
class BettorStats:
    bets: list[DecidedBet]
    unit_cents: int
    unit_is_default: bool
    breakdowns: Breakdowns
    streaks: Streaks
    series: list[SeriesPoint]

    @property
    def won(self) -> int:
        return sum(bet.won for bet in self.bets)

    @property
    def lost(self) -> int:
        return len(self.bets) - self.won

    @property
    def staked_cents(self) -> int:
        return sum(bet.stake_cents for bet in self.bets)

    @property
    def profit_cents(self) -> int:
        return sum(bet.profit_cents for bet in self.bets)

    @property
    def roi(self) -> float | None:
        return self.profit_cents / self.staked_cents if self.staked_cents else None

    @property
    def units_won(self) -> float:
        return self.profit_cents / self.unit_cents

    @property
    def win_rate(self) -> float | None:
        return self.won / len(self.bets) if self.bets else None

    @property
    def break_even_rate(self) -> float | None:
        return _mean(implied_probability(bet.odds) for bet in self.bets)

    @property
    def average_odds(self) -> int | None:
        mean = _mean(decimal_odds(bet.odds) for bet in self.bets)
        return None if mean is None else american_odds(mean)

    @property
    def clv_bets(self) -> int:
        return sum(bet.clv is not None for bet in self.bets)

    @property
    def average_clv(self) -> float | None:
        return _mean(bet.clv for bet in self.bets if bet.clv is not None)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def slices(bets: Sequence[DecidedBet], key: Callable[[DecidedBet], str]) -> list[Slice]:
    """One row per key, in the order the keys first appear."""
    groups: dict[str, list[DecidedBet]] = {}
    for bet in bets:
        groups.setdefault(key(bet), []).append(bet)
    return [
        Slice(
            label=label,
            won=sum(bet.won for bet in group),
            lost=sum(not bet.won for bet in group),
            staked_cents=sum(bet.stake_cents for bet in group),
            profit_cents=sum(bet.profit_cents for bet in group),
        )
        for label, group in groups.items()
    ]


def _band(odds: int) -> str:
    return next(label for label, holds in ODDS_BANDS if holds(odds))


def breakdowns(bets: Sequence[DecidedBet], zone: ZoneInfo) -> Breakdowns:
    """Months by tip-off in `zone`, oldest first; teams by abbreviation; bands in order."""
    by_tip_off = sorted(bets, key=lambda bet: (bet.tip_off, bet.bet_id))
    band_order = [label for label, _ in ODDS_BANDS]
    return Breakdowns(
        month=slices(by_tip_off, lambda bet: bet.tip_off.astimezone(zone).strftime("%Y-%m")),
        team=sorted(slices(bets, lambda bet: bet.team), key=lambda row: row.label),
        price=sorted(
            slices(bets, lambda bet: "favourite" if bet.odds < 0 else "underdog"),
            key=lambda row: row.label,
        ),
        venue=sorted(slices(bets, lambda bet: bet.side), key=lambda row: row.label != "home"),
        odds_band=sorted(
            slices(bets, lambda bet: _band(bet.odds)), key=lambda row: band_order.index(row.label)
        ),
    )


def streaks(bets: Sequence[DecidedBet]) -> Streaks:
    """Over the bets in settlement order."""
    longest = {True: 0, False: 0}
    run = 0
    previous: bool | None = None
    for bet in bets:
        run = run + 1 if bet.won == previous else 1
        previous = bet.won
        longest[bet.won] = max(longest[bet.won], run)
    current = "" if previous is None else f"{'W' if previous else 'L'}{run}"
    return Streaks(current=current, longest_win=longest[True], longest_loss=longest[False])


def series(bets: Sequence[DecidedBet]) -> list[SeriesPoint]:
    points = []
    total = 0
    clv_sum = 0.0
    clv_count = 0
    for bet in bets:
        total += bet.profit_cents
        if bet.clv is not None:
            clv_sum += bet.clv
            clv_count += 1
        running = clv_sum / clv_count if clv_count else None
        points.append(SeriesPoint(bet.settled_at, bet.bet_id, total, running))
    return points


@dataclass(frozen=True)
class BetRow:
    """One of the user's bets, any status, as the record's summary and chart need it, and
    for a won or lost bet what the analytics need (`decided`)."""

    bet_id: int
    status: str
    stake_cents: int
    profit_cents: int | None
    settled_at: datetime | None
    decided: DecidedBet | None


DECIDED = (BetStatus.WON.value, BetStatus.LOST.value)


@cache
def _bet_rows_query(decided_only: bool, postgresql: bool) -> Select[Any]:
    """`bet_rows`' statement, built once per shape (issue 23: building it, its two aliases and
    the closing quotes' subquery, then its cache key, cost more than running it); the user's
    id is the `user` parameter. On PostgreSQL the closing quotes are a `LATERAL` read of each
    decided bet's game in index order (`closing_line.closing_lateral`); elsewhere (SQLite
    has no `LATERAL`) the quotes of the user's decided games ranked by a window
    (`closing_line.closing_ranked`): the same rows, as `test_closing_lateral.py` (the edge
    cases) and `demo_season/test_closing_lines.py` (the demo season) compare them."""
    decided = Bet.status.in_(DECIDED)
    user: BindParameter[int] = bindparam("user", type_=Integer)
    backed = aliased(Team)
    if postgresql:
        closing: Any = closing_line.closing_lateral(Bet.game_id, Game.start_time, when=decided)
        on: Any = true()
    else:
        mine = aliased(Bet)
        closing = closing_line.closing_ranked(
            select(mine.game_id).where(mine.user_id == user, mine.status.in_(DECIDED))
        )
        on = and_(closing.c.game_id == Bet.game_id, closing.c.rank == 1, decided)
    statement = (
        select(
            Bet.id,
            Bet.status,
            Bet.side,
            Bet.odds,
            Bet.stake_cents,
            Bet.profit_cents,
            Bet.settled_at,
            Game.start_time,
            backed.abbreviation,
            closing.c.id,
            closing.c.game_id,
            closing.c.bookmaker,
            closing.c.home_odds,
            closing.c.away_odds,
            closing.c.recorded_at,
        )
        .join(Game, Game.id == Bet.game_id)
        .join(
            backed,
            backed.id
            == case((Bet.side == BetSide.HOME.value, Game.home_team_id), else_=Game.away_team_id),
        )
        .outerjoin(closing, on)
        .where(Bet.user_id == user)
        .order_by(Bet.id, closing.c.bookmaker)
    )
    return statement.where(decided) if decided_only else statement


BetRowsRead = tuple[tuple[Any, ...], ...]
"""The rows `read_bet_rows` returns, as read: a row per bet and closing quote, each a plain
tuple (hashable, the whole input of what `bet_rows_of` computes, and compared in C: a
SQLAlchemy `Row` compares in Python, ~190 us for the demo's ~250 rows)."""


async def read_bet_rows(session: AsyncSession, user_id: int, *, decided_only: bool) -> BetRowsRead:
    """The user's bets (only the won and lost ones if `decided_only`) with the tip-off of
    their game, the team backed and, for the decided ones, their game's closing quotes
    (`closing_line.closing_lateral`, or rank 1 of `closing_ranked`) left-joined: one
    statement, a row per bet and closing quote, by bet."""
    statement = _bet_rows_query(decided_only, session.get_bind().dialect.name == "postgresql")
    return tuple(map(tuple, (await read_columns(session, statement, {"user": user_id})).all()))


def bet_rows_of(read: BetRowsRead) -> list[BetRow]:
    """The bets of `read_bet_rows`' rows, grouped back: for a decided one its closing price,
    the one `closing_markets` gives."""
    first: dict[int, Any] = {}
    quotes: dict[int, list[QuoteRow]] = {}
    for row in read:
        first.setdefault(row[0], row)
        bet_quotes = quotes.setdefault(row[0], [])
        if row[9] is not None:  # the closing quote's columns (no ORM object: issue 23)
            bet_quotes.append(QuoteRow(*row[9:]))
    found = []
    for bet_id, row in first.items():
        _, status, side, odds, stake, profit, settled_at, tip_off, team = row[:9]
        decided_bet = None
        if status in DECIDED:
            assert settled_at is not None  # won and lost bets are settled (check constraint)
            assert profit is not None
            market = closing_line.closing_market(quotes[bet_id])
            price = None if market is None else market.best(side)
            decided_bet = DecidedBet(
                bet_id=bet_id,
                settled_at=settled_at,
                tip_off=tip_off,
                side=side,
                team=team,
                odds=odds,
                closing_odds=None if price is None else price.odds,
                stake_cents=stake,
                profit_cents=profit,
            )
        found.append(BetRow(bet_id, status, stake, profit, settled_at, decided_bet))
    return found


async def bet_rows(session: AsyncSession, user_id: int, *, decided_only: bool) -> list[BetRow]:
    """The user's bets (`read_bet_rows`), each with what the record and the analytics need."""
    return bet_rows_of(await read_bet_rows(session, user_id, decided_only=decided_only))


def decided_of(rows: Iterable[BetRow]) -> list[DecidedBet]:
    """The won and lost bets of `rows`, in settlement order."""
    decided = [row.decided for row in rows if row.decided is not None]
    return sorted(decided, key=lambda bet: (bet.settled_at, bet.bet_id))


async def decided_bets(session: AsyncSession, user_id: int) -> list[DecidedBet]:
    """The user's won and lost bets in settlement order, each with its closing price: one
    statement for the bets, their games, the teams backed and the closing lines."""
    return decided_of(await bet_rows(session, user_id, decided_only=True))


async def zone_of(session: AsyncSession, user_id: int) -> ZoneInfo:
    """The zone the user reads times in (their setting), else the league's."""
    name = await session.scalar(select(User.time_zone).where(User.id == user_id))
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return get_app_settings().zone


async def bettor_stats(session: AsyncSession, user_id: int, *, zone: ZoneInfo) -> BettorStats:
    """Everything the record page's analytics and `/v1/me/stats` show (months in `zone`)."""
    bets = await decided_bets(session, user_id)
    return stats_of(bets, await unit_of(session, user_id), zone=zone)


def stats_of(bets: list[DecidedBet], unit: Unit, *, zone: ZoneInfo) -> BettorStats:
    """`bettor_stats` of decided bets already read (the record page reads them with the
    rest of the user's bets, `bet_rows`) and the unit (from its viewer read)."""
    return BettorStats(
        bets=bets,
        unit_cents=unit.cents,
        unit_is_default=unit.is_default,
        breakdowns=breakdowns(bets, zone),
        streaks=streaks(bets),
        series=series(bets),
    )
