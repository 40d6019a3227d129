"""Simulated moneyline bets: placing them, settling them, and the record they add up to.

Concurrency. `place_bet` takes, in this order, a share lock on the game row and an update
lock on the user's wallet row (PostgreSQL `SELECT ... FOR SHARE / FOR UPDATE`), so two
placements by one user run one after the other: the second sees the first's bet and
balance. Settlement (`settle_games`, called where a game's status changes) locks the game
first too, then the wallets in user-id order, so the two never deadlock. On SQLite the
first statement of `place_bet` is a write (the wallet upsert), which takes SQLite's single
writer lock before anything is read. Behind the locks the database holds the invariants:
one bet per user and game (unique constraint), a non-negative balance and a consistent
status/profit (check constraints).

Nothing here commits: the caller commits once, so a refused bet or a failed settlement
leaves nothing half-written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from courtside.errors import ApiError, NotFound
from courtside.models import (
    Bet,
    BetSide,
    BetStatus,
    Game,
    GameStatus,
    OddsSnapshot,
    Wallet,
    utcnow,
)
from courtside.models.betting import MAX_ABS_ODDS
from courtside.odds import is_valid_american, settled_profit_cents
from courtside.schemas.common import PageParams
from courtside.services import audit, flags, kill_switch
from courtside.services.pagination import PageOf, paginate
from courtside.settings import get_betting_settings


class BetRefused(ApiError):
    """A bet the rules do not allow; the message says why in words a person understands."""

    def __init__(self, code: str, message: str, *, status_code: int = 409, **details: Any) -> None:
        super().__init__(status_code, code, message, details=details or None)


def format_units(cents: int) -> str:
    """`123456` → `1,234.56` (cents are shown as units with two decimals)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units:,}.{rest:02d}"


# --- odds ------------------------------------------------------------------------------


STALE_QUOTE = timedelta(hours=24)
"""A bookmaker's newest quote counts only if it is at most this much older than the game's
newest quote from any bookmaker (a book that stopped quoting does not set the best price)."""


@dataclass(frozen=True)
class Price:
    """The best price on one side of a game, and the quote it comes from."""

    odds: int
    bookmaker: str
    recorded_at: datetime


@dataclass(frozen=True)
class Market:
    """Every bookmaker's newest moneyline for a game, and the best price on each side."""

    quotes: list[OddsSnapshot]
    """Newest snapshot per bookmaker, by bookmaker name (stale ones included)."""
    home: Price | None
    away: Price | None

    def best(self, side: str) -> Price | None:
        return self.home if side == BetSide.HOME.value else self.away


def best_price(quotes: Sequence[OddsSnapshot], side: BetSide) -> Price | None:
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
            quotes=sorted(quotes, key=lambda quote: quote.bookmaker),
            home=best_price(quotes, BetSide.HOME),
            away=best_price(quotes, BetSide.AWAY),
        )
        for game_id, quotes in by_game.items()
    }


async def market(session: AsyncSession, game_id: int) -> Market | None:
    return (await markets(session, [game_id])).get(game_id)


# --- wallets ---------------------------------------------------------------------------


async def _ensure_wallet(session: AsyncSession, user_id: int) -> None:
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
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(pg_insert(Wallet).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(sqlite_insert(Wallet).values(**values).on_conflict_do_nothing())


async def bankroll_cents(session: AsyncSession, user_id: int) -> int:
    """What the user may still stake: the wallet's balance, or the starting bankroll."""
    balance = await session.scalar(select(Wallet.balance_cents).where(Wallet.user_id == user_id))
    return get_betting_settings().starting_bankroll_cents if balance is None else int(balance)


# --- placing ---------------------------------------------------------------------------


def _validate_request(side: str, stake_cents: int) -> BetSide:
    try:
        chosen = BetSide(side)
    except ValueError:
        raise BetRefused(
            "invalid_side", "Choose a side: home or away.", status_code=422, side=side
        ) from None
    if stake_cents <= 0:
        raise BetRefused("invalid_stake", "The stake must be more than zero.", status_code=422)
    maximum = get_betting_settings().max_stake_cents
    if stake_cents > maximum:
        raise BetRefused(
            "invalid_stake",
            f"The stake may be at most {format_units(maximum)} units.",
            status_code=422,
            max_stake=format_units(maximum),
        )
    return chosen


def _check_game(game: Game, now: datetime) -> None:
    if game.status != GameStatus.SCHEDULED.value:
        raise BetRefused(
            "game_closed",
            f"Betting on this game is closed: it is {game.status}.",
            game_id=game.id,
            status=game.status,
        )
    if game.start_time <= now:
        raise BetRefused(
            "game_started",
            "Betting on this game is closed: it has already tipped off.",
            game_id=game.id,
            start_time=game.start_time.isoformat(),
        )


async def place_bet(
    session: AsyncSession,
    *,
    user_id: int,
    game_id: int,
    side: str,
    stake_cents: int,
    now: datetime | None = None,
) -> Bet:
    """Place a bet at the best price offered on the chosen side (the bet records the
    bookmaker and its quote), debiting the stake from the wallet.

    Refuses (`BetRefused`, 409/422) when betting is switched off, the game has started or
    is not scheduled, no odds exist, the user already bet on the game, or the stake is not
    positive or more than the available bankroll. 404 for an unknown game.
    """
    chosen = _validate_request(side, stake_cents)
    if not await kill_switch.enabled_now(session, flags.BETTING_OPEN):
        raise BetRefused("betting_closed", "Betting is closed at the moment. Try again later.")
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"

    await _ensure_wallet(session, user_id)
    game_query = select(Game).where(Game.id == game_id).execution_options(populate_existing=True)
    if postgres:
        game_query = game_query.with_for_update(read=True)
    game = await session.scalar(game_query)
    if game is None:
        raise NotFound("game", game_id)
    wallet_query = (
        select(Wallet).where(Wallet.user_id == user_id).execution_options(populate_existing=True)
    )
    if postgres:
        wallet_query = wallet_query.with_for_update()
    wallet = (await session.scalars(wallet_query)).one()

    _check_game(game, now)
    existing = await session.scalar(
        select(Bet.id).where(
            Bet.user_id == user_id, Bet.game_id == game_id, Bet.status != BetStatus.REFUNDED.value
        )
    )
    if existing is not None:
        raise BetRefused("duplicate_bet", "You already have a bet on this game.", bet_id=existing)
    found = await market(session, game_id)
    price = None if found is None else found.best(chosen.value)
    if price is None:
        raise BetRefused("no_odds", "There are no odds for this game yet, so it cannot be bet on.")
    if stake_cents > wallet.balance_cents:
        raise BetRefused(
            "insufficient_bankroll",
            f"The stake is more than your available bankroll of "
            f"{format_units(wallet.balance_cents)} units.",
            available=format_units(wallet.balance_cents),
        )

    return await record_bet(
        session, wallet=wallet, game_id=game_id, side=chosen, stake_cents=stake_cents,
        odds=price.odds, bookmaker=price.bookmaker, quoted_at=price.recorded_at, now=now,
    )  # fmt: skip


async def record_bet(
    session: AsyncSession,
    *,
    wallet: Wallet,
    game_id: int,
    side: BetSide,
    stake_cents: int,
    odds: int,
    bookmaker: str,
    quoted_at: datetime,
    now: datetime,
) -> Bet:
    """Store a bet and debit its stake, with no check of the game's state: `place_bet`
    calls it once the rules allow the bet, and a bet history is imported through it (the
    demo data). The database's constraints still hold: one live bet per user and game, a
    balance that never goes negative."""
    bet = Bet(
        user_id=wallet.user_id,
        game_id=game_id,
        side=side.value,
        stake_cents=stake_cents,
        odds=odds,
        bookmaker=bookmaker,
        odds_recorded_at=quoted_at,
        status=BetStatus.OPEN.value,
        placed_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(bet)
            wallet.balance_cents -= stake_cents
            wallet.updated_at = now
            await session.flush()
    except IntegrityError:
        # Only reachable if the lock above was bypassed: the constraints are the last word.
        raise BetRefused(
            "duplicate_bet", "You already have a bet on this game, or not enough bankroll."
        ) from None
    return bet


async def wallet_for(session: AsyncSession, user_id: int) -> Wallet:
    """The user's wallet, created with the starting bankroll on first use."""
    await _ensure_wallet(session, user_id)
    return (await session.scalars(select(Wallet).where(Wallet.user_id == user_id))).one()


# --- settling --------------------------------------------------------------------------


def _outcome(game: Game, side: str) -> BetStatus:
    if game.status == GameStatus.POSTPONED.value:
        return BetStatus.REFUNDED
    assert game.home_score is not None
    assert game.away_score is not None
    winner = BetSide.HOME if game.home_score > game.away_score else BetSide.AWAY
    return BetStatus.WON if side == winner.value else BetStatus.LOST


async def settle_games(
    session: AsyncSession,
    game_ids: Collection[int],
    *,
    now: datetime | None = None,
    notify: bool = True,
) -> int:
    """Settle the open bets of those games that are final (win/loss) or postponed (refund).

    Returns how many bets it settled. Idempotent: a bet is settled by a conditional update
    (`status = 'open'`), so running this twice, or twice at once, changes nothing the second
    time. Games still scheduled or live are skipped. Does not commit. With `notify`, each
    settled bet's user gets a notification in this same transaction (and an e-mail after
    the commit, if they asked for one); an imported history passes `notify=False`.
    """
    if not game_ids:
        return 0
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    game_query = (
        select(Game)
        .where(
            Game.id.in_(list(game_ids)),
            Game.status.in_([GameStatus.FINAL.value, GameStatus.POSTPONED.value]),
        )
        .order_by(Game.id)
        .execution_options(populate_existing=True)
    )
    if postgres:
        game_query = game_query.with_for_update(read=True)
    games = {game.id: game for game in await session.scalars(game_query)}
    if not games:
        return 0
    open_bets = (
        await session.execute(
            select(Bet.id, Bet.user_id, Bet.game_id, Bet.side, Bet.stake_cents, Bet.odds)
            .where(Bet.game_id.in_(list(games)), Bet.status == BetStatus.OPEN.value)
            .order_by(Bet.id)
        )
    ).all()

    credits: dict[int, int] = defaultdict(int)
    settled = 0
    outcomes: list[SettledBet] = []
    for bet_id, user_id, game_id, side, stake, odds in open_bets:
        outcome = _outcome(games[game_id], side)
        profit = settled_profit_cents(stake, odds, outcome.value)
        result = await session.execute(
            update(Bet)
            .where(Bet.id == bet_id, Bet.status == BetStatus.OPEN.value)
            .values(status=outcome.value, profit_cents=profit, settled_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue  # settled meanwhile by someone else
        settled += 1
        outcomes.append(SettledBet(bet_id, user_id, games[game_id], side, stake, outcome, profit))
        _sync_loaded(
            session, Bet, bet_id, status=outcome.value, profit_cents=profit, settled_at=now
        )
        if outcome is not BetStatus.LOST:
            credits[user_id] += stake + profit
    for user_id in sorted(credits):
        balance = await session.scalar(
            update(Wallet)
            .where(Wallet.user_id == user_id)
            .values(balance_cents=Wallet.balance_cents + credits[user_id], updated_at=now)
            .returning(Wallet.balance_cents)
            .execution_options(synchronize_session=False)
        )
        _sync_loaded(session, Wallet, user_id, balance_cents=balance, updated_at=now)
    if notify and outcomes:
        from courtside.services.notifications import bets_settled

        await bets_settled(session, outcomes, now=now)
    return settled


@dataclass(frozen=True)
class SettledBet:
    """A bet `settle_games` just settled (what its notification says)."""

    bet_id: int
    user_id: int
    game: Game
    side: str
    stake_cents: int
    outcome: BetStatus
    profit_cents: int
    refund_reason: str | None = None
    """Why a refund, when not a postponement (`late_bets`)."""


# --- cancelling ------------------------------------------------------------------------


async def cancel_bet(
    session: AsyncSession,
    *,
    user_id: int,
    bet_id: int,
    actor: audit.Actor,
    now: datetime | None = None,
) -> Bet:
    """Cancel an open bet before tip-off: the stake goes back to the wallet, the bet is
    refunded with `cancelled_at` set, and the cancellation is audited.

    Refused (409) once the game has tipped off or is no longer scheduled, or when the bet is
    settled already; another user's bet is 404. Locks as `place_bet` and settlement do
    (the game, then the bet, then the wallet), so a cancellation and a final result for the
    same game run one after the other: either the bet is cancelled and settlement skips it,
    or it is settled and the cancellation is refused.
    """
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    game_id = await session.scalar(
        select(Bet.game_id).where(Bet.id == bet_id, Bet.user_id == user_id)
    )
    if game_id is None:
        raise NotFound("bet", bet_id)
    game_query = select(Game).where(Game.id == game_id).execution_options(populate_existing=True)
    bet_query = select(Bet).where(Bet.id == bet_id).execution_options(populate_existing=True)
    if postgres:
        game_query = game_query.with_for_update(read=True)
        bet_query = bet_query.with_for_update()
    game = (await session.scalars(game_query)).one()
    bet = (await session.scalars(bet_query)).one()
    if bet.status != BetStatus.OPEN.value:
        what = "cancelled" if bet.cancelled_at is not None else bet.status
        raise BetRefused(
            "bet_not_open", f"This bet is {what} already, so it cannot be cancelled.", bet_id=bet_id
        )
    if game.status != GameStatus.SCHEDULED.value or game.start_time <= now:
        raise BetRefused(
            "game_started",
            "This bet can no longer be cancelled: the game has tipped off.",
            bet_id=bet_id,
        )
    await _ensure_wallet(session, user_id)
    wallet_query = (
        select(Wallet).where(Wallet.user_id == user_id).execution_options(populate_existing=True)
    )
    if postgres:
        wallet_query = wallet_query.with_for_update()
    wallet = (await session.scalars(wallet_query)).one()
    bet.status = BetStatus.REFUNDED.value
    bet.profit_cents = 0
    bet.settled_at = now
    bet.cancelled_at = now
    wallet.balance_cents += bet.stake_cents
    wallet.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="bet.cancel",
        target=f"bet:{bet_id}",
        details={"game_id": game_id, "stake_cents": bet.stake_cents, "side": bet.side},
    )
    return bet


def _sync_loaded(session: AsyncSession, model: type[Any], key: int, **values: Any) -> None:
    """Give an already-loaded object the values just written with a bulk UPDATE, so the
    caller's session stays consistent without expiring (and lazily reloading) anything."""
    obj = session.identity_map.get(identity_key(model, key))
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)


async def settle_all(session: AsyncSession) -> int:
    """Settle every open bet whose game is final or postponed (demo load, operators)."""
    game_ids = (
        await session.scalars(
            select(Bet.game_id)
            .join(Game, Game.id == Bet.game_id)
            .where(
                Bet.status == BetStatus.OPEN.value,
                Game.status.in_([GameStatus.FINAL.value, GameStatus.POSTPONED.value]),
            )
            .distinct()
        )
    ).all()
    return await settle_games(session, list(game_ids))


# --- reading ---------------------------------------------------------------------------


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


async def user_bets_by_game(
    session: AsyncSession, user_id: int, game_ids: Sequence[int]
) -> dict[int, Bet]:
    """The user's bet on each game: the live one if any, else the latest refunded one (a
    postponed game's refund does not stop a new bet when the game is rescheduled)."""
    if not game_ids:
        return {}
    rows = await session.scalars(
        select(Bet)
        .where(Bet.user_id == user_id, Bet.game_id.in_(list(game_ids)))
        .order_by(Bet.status == BetStatus.REFUNDED.value, Bet.placed_at.desc(), Bet.id.desc())
    )
    mine: dict[int, Bet] = {}
    for row in rows:
        mine.setdefault(row.game_id, row)
    return mine


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
