"""Placing and cancelling simulated moneyline bets.

Concurrency. `place_bet` takes, in this order, a share lock on the game row and an update
lock on the user's wallet row (PostgreSQL `SELECT ... FOR SHARE / FOR UPDATE`), so two
placements by one user run one after the other: the second sees the first's bet and
balance. Settlement (`settlement.settle_games`) locks the game first too, then the wallets
in user-id order, and `cancel_bet` the game, the bet, then the wallet, so none of them
deadlock. On SQLite the first statement of `place_bet` is a write (the wallet upsert), which
takes SQLite's single writer lock before anything is read. Behind the locks the database
holds the invariants: one bet per user and game (unique constraint), a non-negative balance
and a consistent status/profit (check constraints).

Nothing here commits: the caller commits once, so a refused bet leaves nothing half-written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict, Invalid, NotFound
from courtside.http_cache import RECORDS
from courtside.models import Bet, BetSide, BetStatus, Game, GameStatus, Wallet, utcnow
from courtside.odds import format_units
from courtside.services import audit, flags, kill_switch, markets, wallets
from courtside.settings import get_betting_settings
from courtside.unit_of_work import invalidate_on_commit


class BetRefused(Conflict):
    """A bet (or a cancellation) the rules do not allow now; the message says why in words a
    person understands."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(code, message, details=details or None)


class BetInvalid(Invalid):
    """A bet whose side or stake is not one a bet may have."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(code, message, details=details or None)


def _validate_request(side: str, stake_cents: int) -> BetSide:
    try:
        chosen = BetSide(side)
    except ValueError:
        raise BetInvalid("invalid_side", "Choose a side: home or away.", side=side) from None
    if stake_cents <= 0:
        raise BetInvalid("invalid_stake", "The stake must be more than zero.")
    maximum = get_betting_settings().max_stake_cents
    if stake_cents > maximum:
        raise BetInvalid(
            "invalid_stake",
            f"The stake may be at most {format_units(maximum)} units.",
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

    Refuses (`BetRefused`) when betting is switched off, the game has started or is not
    scheduled, no odds exist, the user already bet on the game, or the stake is more than
    the available bankroll; `BetInvalid` for an unknown side or a stake that is not
    positive or above the maximum; `NotFound` for an unknown game.
    """
    chosen = _validate_request(side, stake_cents)
    if not await kill_switch.enabled_now(session, flags.BETTING_OPEN):
        raise BetRefused("betting_closed", "Betting is closed at the moment. Try again later.")
    now = now or utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"

    await wallets.ensure_wallet(session, user_id)
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
    found = await markets.market(session, game_id)
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
    invalidate_on_commit(session, RECORDS)  # every record the cache holds, once committed
    return bet


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

    Refused (`BetRefused`) once the game has tipped off or is no longer scheduled, or when
    the bet is settled already; another user's bet is `NotFound`. Locks as `place_bet` and
    settlement do (the game, then the bet, then the wallet), so a cancellation and a final
    result for the same game run one after the other: either the bet is cancelled and
    settlement skips it, or it is settled and the cancellation is refused.
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
    await wallets.ensure_wallet(session, user_id)
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
    invalidate_on_commit(session, RECORDS)
    await audit.record(
        session,
        actor=actor,
        action="bet.cancel",
        target=f"bet:{bet_id}",
        details={"game_id": game_id, "stake_cents": bet.stake_cents, "side": bet.side},
    )
    return bet
