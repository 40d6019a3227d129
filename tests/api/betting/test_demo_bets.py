"""scripts/demo_bets.py: a settled history through the betting service, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game
from courtside.services import betting
from scripts.demo_bets import _american, seed_bet_history
from tests.api.betting.factories import make_slate, make_user
from tests.helpers import both_dialects


@pytest.mark.parametrize(
    ("probability", "odds"), [(0.5, -100), (0.6, -150), (0.4, 150), (0.8, -400), (0.51, -105)]
)
def test_fair_american_odds(probability: float, odds: int) -> None:
    assert _american(probability) == odds


@both_dialects
async def test_history_is_settled_and_idempotent(session: AsyncSession) -> None:
    user = await make_user(session, name="demo-history")
    games = (await make_slate(session, games=3)).games
    finals: list[Game] = games[:2]
    for game, (home, away) in zip(finals, [(100, 90), (80, 95)], strict=True):
        game.status, game.home_score, game.away_score = "final", home, away
    games[2].status = "postponed"
    await session.flush()

    assert await seed_bet_history(session, username=user.username, games=10) == 3
    bets = list(await session.scalars(select(Bet).where(Bet.user_id == user.id)))
    assert sorted(b.status for b in bets) in (
        ["lost", "lost", "refunded"],
        ["lost", "refunded", "won"],
        ["refunded", "won", "won"],
    )
    assert {g.status for g in games} == {"final", "postponed"}  # restored after placing
    summary = await betting.summary(session, user.id)
    assert summary.open == 0
    assert summary.bankroll_cents == summary.starting_bankroll_cents + summary.profit_cents

    assert await seed_bet_history(session, username=user.username, games=10) == 0
    assert await session.scalar(select(func.count(Bet.id))) == 3


async def test_unknown_user_is_a_clear_error(session: AsyncSession) -> None:
    with pytest.raises(LookupError, match="no user named"):
        await seed_bet_history(session, username="nobody-here")
