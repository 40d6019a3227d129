"""Bets placed at or after their game's tip-off are void: refunded, never settled.

Placement refuses a game that has started (`placing._check_game`), but ingestion may move a
game's start time earlier, before bets already placed on it: the pipeline's schedule is the
truth (a corrected tip-off), so refusing the move would keep a wrong time on the board and
keep taking bets until then. A sportsbook voids a bet taken after the actual start; so does
this: after a games batch is written, every still-open bet on its games placed at or after
the game's (new) start time is refunded, with a notification saying why. Bets placed before
the new tip-off stand. A bet already settled is left alone: its game's final result is
locked (migration 0005), and so is what was settled on it.

Concurrency: ingestion holds its stored games `FOR UPDATE` (`ingest_datasets._final_results`) and a
placement takes its game `FOR SHARE` first, so no bet on these games commits between the
move and this check, and one that waited sees the new time and is refused. Wallets are
credited in user-id order, as settlement does (no deadlock). Does not commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from courtside.http_cache import RECORDS
from courtside.models import Bet, BetStatus, Game, Wallet, utcnow
from courtside.unit_of_work import invalidate_on_commit

REASON = "it was placed after the game tipped off"


async def void_bets_after_tip_off(
    session: AsyncSession, game_ids: Collection[int], *, now: datetime | None = None
) -> int:
    """Refund the open bets on these games placed at or after their start; how many."""
    if not game_ids:
        return 0
    now = now or utcnow()
    late = (
        await session.execute(
            select(Bet.id, Bet.user_id, Bet.side, Bet.stake_cents, Game)
            .join(Game, Game.id == Bet.game_id)
            .where(
                Bet.game_id.in_(sorted(game_ids)),
                Bet.status == BetStatus.OPEN.value,
                Bet.placed_at >= Game.start_time,
            )
            .order_by(Bet.id)
        )
    ).all()
    credits: dict[int, int] = defaultdict(int)
    voided = []
    for bet_id, user_id, side, stake, game in late:
        result = await session.execute(
            update(Bet)
            .where(Bet.id == bet_id, Bet.status == BetStatus.OPEN.value)
            .values(status=BetStatus.REFUNDED.value, profit_cents=0, settled_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue  # cancelled or settled meanwhile
        credits[user_id] += stake
        voided.append((bet_id, user_id, side, stake, game))
    for user_id in sorted(credits):
        await session.execute(
            update(Wallet)
            .where(Wallet.user_id == user_id)
            .values(balance_cents=Wallet.balance_cents + credits[user_id], updated_at=now)
            .execution_options(synchronize_session=False)
        )
    _expire_loaded(session, [(Bet, row[0]) for row in voided] + [(Wallet, u) for u in credits])
    if voided:
        invalidate_on_commit(session, RECORDS)  # every record the cache holds, once committed
        # lazy: notifications (e-mail) load only when a bet is refunded
        from courtside.services.notifications import SettledBet, bets_settled

        await bets_settled(
            session,
            [
                SettledBet(bet_id, user_id, game, side, stake, BetStatus.REFUNDED, 0, REASON)
                for bet_id, user_id, side, stake, game in voided
            ],
            now=now,
        )
    return len(voided)


def _expire_loaded(session: AsyncSession, keys: list[tuple[type[object], int]]) -> None:
    """Objects this session already holds are read again on next use (the updates above
    bypass the identity map)."""
    for model, key in keys:
        loaded = session.identity_map.get(identity_key(model, key))
        if loaded is not None:
            session.expire(loaded)
