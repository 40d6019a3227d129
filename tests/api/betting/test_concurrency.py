"""Concurrent placements and settlements with real commits and connections: on
PostgreSQL (row locks), and the placements on SQLite too (its single writer lock).

Each task runs in its own session (its own pooled connection), as concurrent requests do.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from courtside.domain_errors import DomainError
from courtside.models import Bet, Game, Wallet
from courtside.services import bet_record, placing, settlement
from courtside.unit_of_work import unit_of_work
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects

pytestmark = pytest.mark.usefixtures("cache")

START = 100_000
T = TypeVar("T")


async def _in_session(
    maker: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    async with unit_of_work(maker) as owner:
        result = await work(owner.session)
    return result


async def _place(
    maker: async_sessionmaker[AsyncSession], user_id: int, game_id: int, stake: int
) -> str:
    async def work(session: AsyncSession) -> str:
        try:
            await placing.place_bet(
                session, user_id=user_id, game_id=game_id, side="home", stake_cents=stake
            )
        except DomainError as exc:
            await session.rollback()
            return exc.code
        return "placed"

    return await _in_session(maker, work)


async def _setup(maker: async_sessionmaker[AsyncSession], games: int) -> tuple[int, list[int]]:
    async def work(session: AsyncSession) -> tuple[int, list[int]]:
        user = await make_user(session)
        slate = await make_slate(session, games=games)
        return user.id, [game.id for game in slate.games]

    return await _in_session(maker, work)


def _maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@both_dialects
async def test_twenty_concurrent_placements_of_one_bet_store_exactly_one(
    committed_engine: AsyncEngine,
) -> None:
    maker = _maker(committed_engine)
    user_id, (game_id,) = await _setup(maker, games=1)

    results = await asyncio.gather(*(_place(maker, user_id, game_id, 1_000) for _ in range(20)))

    assert Counter(results) == {"placed": 1, "duplicate_bet": 19}
    async with maker() as session:
        assert await session.scalar(select(func.count(Bet.id))) == 1
        wallet = await session.get(Wallet, user_id)
        assert wallet is not None
        assert wallet.balance_cents == START - 1_000


@both_dialects
async def test_concurrent_bets_on_many_games_never_overdraw_the_bankroll(
    committed_engine: AsyncEngine,
) -> None:
    """24 bets of 150.00 against a 1,000.00 bankroll: exactly six fit, the rest are refused."""
    maker = _maker(committed_engine)
    user_id, game_ids = await _setup(maker, games=24)
    stake = 15_000

    results = await asyncio.gather(*(_place(maker, user_id, g, stake) for g in game_ids))

    assert Counter(results) == {"placed": 6, "insufficient_bankroll": 18}
    async with maker() as session:
        staked = await session.scalar(
            select(func.sum(Bet.stake_cents)).where(Bet.user_id == user_id)
        )
        wallet = await session.get(Wallet, user_id)
        assert wallet is not None
        assert staked == 6 * stake
        assert wallet.balance_cents == START - 6 * stake >= 0


@pytest.mark.postgres_only
async def test_concurrent_settlements_pay_once(committed_engine: AsyncEngine) -> None:
    maker = _maker(committed_engine)
    user_id, game_ids = await _setup(maker, games=3)
    for game_id in game_ids:
        assert await _place(maker, user_id, game_id, 10_000) == "placed"

    async def finish(session: AsyncSession) -> None:
        for game in await session.scalars(select(Game).where(Game.id.in_(game_ids))):
            game.status, game.home_score, game.away_score = "final", 100, 90

    await _in_session(maker, finish)

    async def settle(session: AsyncSession) -> int:
        return await settlement.settle_games(session, game_ids)

    counts = await asyncio.gather(*(_in_session(maker, settle) for _ in range(8)))

    assert sorted(counts) == [0] * 7 + [3]
    async with maker() as session:
        wallet = await session.get(Wallet, user_id)
        assert wallet is not None
        # three wins at -150: each returns the 100.00 stake plus 66.66 profit
        assert wallet.balance_cents == START + 3 * 6_666
        statuses = (await session.scalars(select(Bet.status))).all()
        assert statuses == ["won", "won", "won"]


@pytest.mark.postgres_only
async def test_placing_and_settling_at_once_leave_a_consistent_ledger(
    committed_engine: AsyncEngine,
) -> None:
    """Bets on open games race with the settlement of a finished one: no deadlock, and the
    wallet equals the start plus settled profit minus open stakes."""
    maker = _maker(committed_engine)
    user_id, game_ids = await _setup(maker, games=12)
    finished, *open_games = game_ids
    assert await _place(maker, user_id, finished, 10_000) == "placed"

    async def finish(session: AsyncSession) -> None:
        game = await session.get(Game, finished)
        assert game is not None
        game.status, game.home_score, game.away_score = "final", 88, 99

    await _in_session(maker, finish)

    async def settle(session: AsyncSession) -> int:
        return await settlement.settle_games(session, [finished])

    results = await asyncio.gather(
        *(_place(maker, user_id, g, 5_000) for g in open_games),
        *(_in_session(maker, settle) for _ in range(4)),
    )
    assert results[: len(open_games)] == ["placed"] * len(open_games)
    assert sorted(int(str(count)) for count in results[len(open_games) :]) == [0, 0, 0, 1]
    async with maker() as session:
        summary = await bet_record.summary(session, user_id)
    assert summary.profit_cents == -10_000
    assert summary.bankroll_cents == START - 10_000 - 5_000 * len(open_games)


@pytest.mark.postgres_only
async def test_concurrent_flag_changes_and_deletes_never_fail(
    committed_engine: AsyncEngine,
) -> None:
    """Admins switching a built-in flag that has no row yet race to create it; deleting a
    flag at once leaves one success and clear 404s; a built-in flag is never deleted."""
    from courtside.services import audit, flag_admin

    maker = _maker(committed_engine)
    admin = audit.Actor("user", "1", "admin")

    async def switch_off(session: AsyncSession) -> bool:
        view = await flag_admin.update_flag(
            session, actor=admin, name="betting_open", enabled=False
        )
        return view.enabled

    assert await asyncio.gather(*(_in_session(maker, switch_off) for _ in range(8))) == [False] * 8

    async def create(session: AsyncSession) -> None:
        await flag_admin.create_flag(session, actor=admin, name="dark_mode", enabled=True)

    await _in_session(maker, create)

    def delete(name: str) -> Callable[[AsyncSession], Awaitable[str]]:
        async def attempt(session: AsyncSession) -> str:
            try:
                await flag_admin.delete_flag(session, actor=admin, name=name)
            except DomainError as exc:
                await session.rollback()
                return exc.code
            return "deleted"

        return attempt

    results = await asyncio.gather(*(_in_session(maker, delete("dark_mode")) for _ in range(6)))
    assert Counter(results) == {"deleted": 1, "not_found": 5}
    assert await _in_session(maker, delete("betting_open")) == "builtin_flag"
    async with maker() as session:
        view = await flag_admin.get_flag(session, "betting_open")
        assert (view.enabled, view.is_default) == (False, False)  # still switched off
