"""`kill_switch.enabled_now` against flag changes, with real commits on PostgreSQL.

A decision (a bet) and a change of the flag are ordered by an advisory lock on the flag's
name: a change waits for the decisions in flight; a decision that starts while a change is
in flight waits for its commit and reads the new value. The tests see the waits in
`pg_locks` (no timing), whether or not the flag has a row yet.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from courtside.models import FeatureFlag
from courtside.services import audit, flag_admin, kill_switch
from courtside.unit_of_work import unit_of_work
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects

pytestmark = pytest.mark.usefixtures("cache")

ADMIN = audit.Actor("user", "1", "admin")


async def _waiting_advisory_locks(engine: AsyncEngine, mode: str) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND NOT granted AND mode = :mode"
                ),
                {"mode": mode},
            )
            or 0
        )


async def _until_waiting(engine: AsyncEngine, mode: str) -> None:
    for _ in range(500):
        if await _waiting_advisory_locks(engine, mode):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nobody waits for an advisory {mode}")


async def _switch_off(maker: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(maker) as work:
        await flag_admin.update_flag(work.session, actor=ADMIN, name="betting_open", enabled=False)


@pytest.mark.parametrize("has_row", [True, False], ids=["stored", "at-its-default"])
async def test_a_change_waits_for_the_decisions_in_flight(
    committed_engine: AsyncEngine, has_row: bool
) -> None:
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    if has_row:
        async with maker() as session:
            session.add(FeatureFlag(name="betting_open", enabled=True))
            await session.commit()
    async with maker() as deciding:
        assert await kill_switch.enabled_now(deciding, "betting_open") is True
        change = asyncio.create_task(_switch_off(maker))
        await _until_waiting(committed_engine, "ExclusiveLock")
        assert not change.done()
        await deciding.commit()  # the bet commits before the change can
    await change
    async with maker() as after:
        assert await kill_switch.enabled_now(after, "betting_open") is False


@pytest.mark.parametrize("has_row", [True, False], ids=["stored", "at-its-default"])
async def test_a_decision_during_a_change_waits_and_reads_the_new_value(
    committed_engine: AsyncEngine, has_row: bool
) -> None:
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    if has_row:
        async with maker() as session:
            session.add(FeatureFlag(name="betting_open", enabled=True))
            await session.commit()

    async def decide() -> bool:
        async with maker() as session:
            return await kill_switch.enabled_now(session, "betting_open")

    async with unit_of_work(maker) as work:
        await flag_admin.update_flag(work.session, actor=ADMIN, name="betting_open", enabled=False)
        decision = asyncio.create_task(decide())
        await _until_waiting(committed_engine, "ShareLock")
        assert not decision.done()
    assert await decision is False


@both_dialects
async def test_a_bet_reads_the_flag_from_the_database_not_the_cache(
    committed_engine: AsyncEngine,
) -> None:
    """The flags cache says open (an instance that missed the invalidation); the database
    says closed: the bet is refused."""
    from courtside.services import flags, placing

    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    async with unit_of_work(maker) as work:
        user = await make_user(work.session)
        slate = await make_slate(work.session)
        assert await flags.is_enabled(work.session, flags.BETTING_OPEN) is True  # cached
    async with maker() as session:  # switched off behind the cache's back
        session.add(FeatureFlag(name="betting_open", enabled=False))
        await session.commit()
    async with unit_of_work(maker) as work:
        assert await flags.is_enabled(work.session, flags.BETTING_OPEN) is True  # stale
        with pytest.raises(placing.BetRefused) as refused:
            await placing.place_bet(
                work.session,
                user_id=user.id,
                game_id=slate.games[0].id,
                side="home",
                stake_cents=100,
            )
    assert refused.value.code == "betting_closed"
