"""Cancelling bets while the game's result (or its tip-off) is ingested, in real concurrent
transactions on PostgreSQL: every bet ends either cancelled (stake back) or settled (paid
as the result says), never both and never neither; no deadlock, no lost money."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from courtside.domain_errors import DomainError
from courtside.models import Bet, Game, Notification, Team, Wallet
from courtside.odds import win_profit_cents
from courtside.schemas.ingest import Dataset
from courtside.services import audit, placing
from courtside.services.ingest import ingest
from courtside.unit_of_work import unit_of_work
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("cache")]

START = 100_000
STAKE = 1_000
BETTORS = 12
ACTOR = audit.Actor("api_key", "1", "pipeline")


async def _setup(
    maker: async_sessionmaker[AsyncSession], game_index: int = 0
) -> tuple[Game, dict[int, int], str, str]:
    """Two games an hour away (created once); every bettor backs the home team of one."""
    async with unit_of_work(maker) as work:
        existing = list(await work.session.scalars(select(Game).order_by(Game.id)))
        if not existing:
            existing = (await make_slate(work.session, games=2, starts_in=timedelta(hours=1))).games
        game = existing[game_index]
        bets = {}
        for _ in range(BETTORS):
            user = await make_user(work.session)
            bet = await placing.place_bet(
                work.session, user_id=user.id, game_id=game.id, side="home", stake_cents=STAKE
            )
            bets[user.id] = bet.id
        teams = dict((await work.session.execute(select(Team.id, Team.abbreviation))).all())
    return game, bets, teams[game.home_team_id], teams[game.away_team_id]


async def _cancel(maker: async_sessionmaker[AsyncSession], user_id: int, bet_id: int) -> str:
    try:
        async with unit_of_work(maker) as work:
            actor = audit.Actor("user", str(user_id), "bettor")
            await placing.cancel_bet(work.session, user_id=user_id, bet_id=bet_id, actor=actor)
    except DomainError as exc:
        return exc.code
    return "cancelled"


async def _ingest(
    maker: async_sessionmaker[AsyncSession], game: Game, home: str, away: str, status: str
) -> None:
    record = {
        "external_id": game.external_id,
        "season": game.season,
        "start_time": game.start_time.isoformat(),
        "home_team": home,
        "away_team": away,
        "status": status,
        "home_score": 101 if status == "final" else None,
        "away_score": 99 if status == "final" else None,
    }
    async with unit_of_work(maker) as work:
        await ingest(work.session, Dataset.GAMES, [record], actor=ACTOR)


@pytest.mark.parametrize("result", ["final", "live"])
async def test_cancellations_racing_the_result_or_the_tip_off(
    committed_engine: AsyncEngine, result: Literal["final", "live"]
) -> None:
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    game, bets, home, away = await _setup(maker)
    cancels = [_cancel(maker, user_id, bet_id) for user_id, bet_id in bets.items()]
    half = len(cancels) // 2
    outcomes = await asyncio.gather(
        *cancels[:half], _ingest(maker, game, home, away, result), *cancels[half:]
    )
    codes = dict(zip(bets, outcomes[:half] + outcomes[half + 1 :], strict=True))
    assert set(codes.values()) <= {"cancelled", "game_started", "bet_not_open"}, codes

    async with maker() as session:
        rows = {
            bet.user_id: bet
            for bet in await session.scalars(select(Bet).where(Bet.game_id == game.id))
        }
        wallets = dict((await session.execute(select(Wallet.user_id, Wallet.balance_cents))).all())
        notified = set(
            await session.scalars(
                select(Notification.bet_id).where(Notification.bet_id.is_not(None))
            )
        )
        assert await session.scalar(select(func.count(Bet.id))) == BETTORS
    odds = rows[next(iter(bets))].odds
    for user_id, bet in rows.items():
        if codes[user_id] == "cancelled":
            assert (bet.status, bet.cancelled_at is not None, bet.profit_cents) == (
                "refunded",
                True,
                0,
            )
            assert wallets[user_id] == START
            assert bet.id not in notified
        elif result == "final":
            assert (bet.status, bet.cancelled_at) == ("won", None)
            assert wallets[user_id] == START + win_profit_cents(STAKE, odds)
            assert bet.id in notified
        else:
            assert (bet.status, bet.cancelled_at) == ("open", None)  # tipped off: stays in play
            assert wallets[user_id] == START - STAKE


async def test_each_side_waits_for_the_other_and_then_sees_its_outcome(
    committed_engine: AsyncEngine,
) -> None:
    """Deterministic orderings of the same race: a cancellation started while a result's
    transaction is open waits and is refused; a result ingested while a cancellation's
    transaction is open waits and settles only the bets still open."""
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    game, bets, home, away = await _setup(maker)
    first_user, first_bet = next(iter(bets.items()))

    async with unit_of_work(maker) as work:  # the result, not yet committed...
        record = {
            "external_id": game.external_id, "season": game.season,
            "start_time": game.start_time.isoformat(), "home_team": home, "away_team": away,
            "status": "live", "home_score": None, "away_score": None,
        }  # fmt: skip
        await ingest(work.session, Dataset.GAMES, [record], actor=ACTOR)
        waiting = asyncio.create_task(_cancel(maker, first_user, first_bet))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # ...holds the game: the cancellation waits
    assert await waiting == "game_started"

    game2, bets2, home2, away2 = await _setup(maker, 1)
    user, bet_id = next(iter(bets2.items()))
    async with unit_of_work(maker) as work:  # a cancellation, not yet committed...
        actor = audit.Actor("user", str(user), "bettor")
        await placing.cancel_bet(work.session, user_id=user, bet_id=bet_id, actor=actor)
        settling = asyncio.create_task(_ingest(maker, game2, home2, away2, "final"))
        await asyncio.sleep(0.3)
        assert not settling.done()  # ...holds the game too: the result waits
    await settling
    async with maker() as session:
        statuses = dict(
            (await session.execute(select(Bet.id, Bet.status).where(Bet.game_id == game2.id))).all()
        )
    assert statuses.pop(bet_id) == "refunded"
    assert set(statuses.values()) == {"won"}
