"""The invariants live in the database too: bypassing the service still cannot break them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Wallet, utcnow
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects


async def _bet(session: AsyncSession, game_id: int | None = None, **overrides: Any) -> Bet:
    user = await make_user(session)
    if game_id is None:
        game_id = (await make_slate(session)).games[0].id
    values: dict[str, Any] = {
        "user_id": user.id,
        "game_id": game_id,
        "side": "home",
        "stake_cents": 1_000,
        "odds": -110,
        "bookmaker": "book",
        "odds_recorded_at": utcnow(),
        "status": "open",
    }
    values.update(overrides)
    return Bet(**values)


async def _fails(session: AsyncSession, *rows: object) -> None:
    async def insert() -> None:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()

    with pytest.raises(IntegrityError):
        await insert()


@both_dialects
@pytest.mark.parametrize(
    "overrides",
    [
        {"stake_cents": 0},
        {"stake_cents": -100},
        {"odds": 50},
        {"odds": -99},
        {"odds": 100_001},
        {"side": "draw"},
        {"status": "void"},
        {"status": "won"},  # no profit, no settled_at
        {"status": "won", "profit_cents": -1, "settled_at": utcnow()},
        {"status": "lost", "profit_cents": -999, "settled_at": utcnow()},
        {"status": "refunded", "profit_cents": 5, "settled_at": utcnow()},
        {"status": "open", "profit_cents": 0},
    ],
)
async def test_inconsistent_bets_are_refused(
    session: AsyncSession, overrides: dict[str, Any]
) -> None:
    await _fails(session, await _bet(session, **overrides))


@both_dialects
async def test_consistent_settled_bets_are_accepted(session: AsyncSession) -> None:
    now = utcnow()
    game_id = (await make_slate(session)).games[0].id
    for status, profit in (("lost", -1_000), ("won", 909), ("won", 0), ("refunded", 0)):
        session.add(
            await _bet(session, game_id, status=status, profit_cents=profit, settled_at=now)
        )
    await session.flush()


@both_dialects
async def test_one_bet_per_user_and_game(session: AsyncSession) -> None:
    first = await _bet(session)
    session.add(first)
    await session.flush()
    second = Bet(
        user_id=first.user_id,
        game_id=first.game_id,
        side="away",
        stake_cents=5,
        odds=120,
        bookmaker="book",
        odds_recorded_at=utcnow(),
    )
    await _fails(session, second)


@both_dialects
async def test_a_wallet_cannot_go_negative(session: AsyncSession) -> None:
    user = await make_user(session)
    await _fails(session, Wallet(user_id=user.id, balance_cents=-1, starting_cents=0))
