"""Conflicting final results sent at the same moment: exactly one wins, and every settled bet
agrees with the score the database holds (PostgreSQL, real concurrent transactions).

Each pair of batches runs in two sessions on two pooled connections, as two app instances
would. Both batches see the game scheduled when they start; without row locks both would
write their score and settle the bets against it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from courtside.domain_errors import DomainError
from courtside.models import Bet, Game, Wallet
from courtside.schemas.ingest import Dataset
from courtside.services import audit, placing
from courtside.services.ingest import ingest
from courtside.unit_of_work import UnitOfWork, unit_of_work
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.api.ingest import records as r

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("cache")]

ACTOR = audit.Actor("api_key", "1", "pipeline")
GAMES = 6
BETTORS = 3
STAKE = 1_000


def _final(game: Game, home: str, away: str, home_score: int, away_score: int) -> dict[str, Any]:
    return {
        "external_id": game.external_id,
        "season": game.season,
        "start_time": game.start_time.isoformat(),
        "home_team": home,
        "away_team": away,
        "status": "final",
        "home_score": home_score,
        "away_score": away_score,
    }


async def _send(maker: async_sessionmaker[AsyncSession], record: dict[str, Any]) -> str:
    try:
        async with unit_of_work(maker) as work:
            await ingest(work.session, Dataset.GAMES, [record], actor=ACTOR)
    except DomainError as exc:
        errors = exc.details[0]["errors"] if exc.code == "invalid_records" else []
        return errors[0]["type"] if errors else exc.code
    return "ok"


async def _setup(maker: async_sessionmaker[AsyncSession]) -> list[tuple[Game, str, str]]:
    async with maker() as session:
        work = UnitOfWork(session)  # placing a bet invalidates the records after the commit
        slate = await make_slate(session, games=GAMES, starts_in=timedelta(hours=1))
        users = [await make_user(session) for _ in range(BETTORS)]
        for game in slate.games:
            for n, user in enumerate(users):
                await placing.place_bet(
                    session,
                    user_id=user.id,
                    game_id=game.id,
                    side="home" if n % 2 == 0 else "away",
                    stake_cents=STAKE,
                )
        await work.commit()
        abbr = {team.id: team.abbreviation for team in slate.teams.values()}
        return [(g, abbr[g.home_team_id], abbr[g.away_team_id]) for g in slate.games]


async def test_concurrent_conflicting_finals_one_wins_and_bets_agree(
    committed_engine: AsyncEngine,
) -> None:
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    games = await _setup(maker)

    outcomes = await asyncio.gather(
        *(
            _send(maker, _final(game, home, away, *scores))
            for game, home, away in games
            for scores in ((110, 100), (100, 110))
        )
    )

    pairs = [sorted(outcomes[i : i + 2]) for i in range(0, len(outcomes), 2)]
    assert pairs == [["final_result_locked", "ok"]] * GAMES, outcomes
    async with maker() as session:
        stored = {
            game.id: game
            for game in await session.scalars(select(Game).where(Game.status == "final"))
        }
        assert len(stored) == GAMES
        bets = (await session.scalars(select(Bet))).all()
        assert len(bets) == GAMES * BETTORS
        for bet in bets:
            game = stored[bet.game_id]
            assert game.home_score is not None
            assert game.away_score is not None
            winner = "home" if game.home_score > game.away_score else "away"
            assert bet.status == ("won" if bet.side == winner else "lost"), (bet.id, game.id)
        for wallet in (await session.scalars(select(Wallet))).all():
            payouts = sum(
                bet.stake_cents + (bet.profit_cents or 0)
                for bet in bets
                if bet.user_id == wallet.user_id and bet.status == "won"
            )
            staked = sum(bet.stake_cents for bet in bets if bet.user_id == wallet.user_id)
            assert wallet.balance_cents == wallet.starting_cents - staked + payouts


async def test_concurrent_first_results_of_a_new_game_one_wins(
    committed_engine: AsyncEngine,
) -> None:
    """No stored row to lock: the upsert's guard and the check after it refuse the loser."""
    maker = async_sessionmaker(committed_engine, expire_on_commit=False)
    async with unit_of_work(maker) as work:
        await ingest(work.session, Dataset.TEAMS, r.teams(), actor=ACTOR)
    records = [
        r.game(f"new-{n}", status="final", home_score=home, away_score=away)
        for n in range(GAMES)
        for home, away in ((120, 90), (90, 120))
    ]
    outcomes = await asyncio.gather(*(_send(maker, record) for record in records))
    pairs = [sorted(outcomes[i : i + 2]) for i in range(0, len(outcomes), 2)]
    assert pairs == [["final_result_locked", "ok"]] * GAMES, outcomes
    async with maker() as session:
        stored = (await session.scalars(select(Game).order_by(Game.external_id))).all()
    assert len(stored) == GAMES
    for game, n in zip(stored, range(GAMES), strict=True):
        winner = records[2 * n] if outcomes[2 * n] == "ok" else records[2 * n + 1]
        assert (game.home_score, game.away_score) == (winner["home_score"], winner["away_score"])
