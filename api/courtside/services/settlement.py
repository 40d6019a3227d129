"""Settling bets: a final game pays its winners, a postponed one refunds its bets.

Settlement (`settle_games`, called where a game's status changes) locks the game first, as
placing does, then the wallets in user-id order, so the two never deadlock. Nothing here
commits: the caller commits once, so a failed settlement leaves nothing half-written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from courtside.http_cache import RECORDS
from courtside.models import Bet, BetSide, BetStatus, Game, GameStatus, Wallet, utcnow
from courtside.odds import settled_profit_cents
from courtside.services import notifications
from courtside.services.notifications import SettledBet
from courtside.unit_of_work import invalidate_on_commit


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
    if outcomes:
        invalidate_on_commit(session, RECORDS)  # every record the cache holds, once committed
    if notify and outcomes:
        await notifications.bets_settled(session, outcomes, now=now)
    return settled


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
