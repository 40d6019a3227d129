"""scripts/demo_bets.py: a settled history through the betting service, written once,
only into an account without activity, only in the past, with the notifications a
settlement makes; the account then shows on the leaderboard (issue 22)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game, Notification, User, utcnow
from courtside.services import bet_record, leaderboard, placing
from scripts.demo_bets import DEMO_DISPLAY_NAME, NothingAdded, _american, seed_bet_history
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import make_slate
from tests.helpers import both_dialects


@pytest.mark.parametrize(
    ("probability", "odds"), [(0.5, -100), (0.6, -150), (0.4, 150), (0.8, -400), (0.51, -105)]
)
def test_fair_american_odds(probability: float, odds: int) -> None:
    assert _american(probability) == odds


async def _finished(
    session: AsyncSession, count: int, *, days_ago: int = 2, upcoming: int = 0
) -> list[Game]:
    """`count` games played `days_ago` days ago: final (alternating winners), the last one
    postponed; then `upcoming` games scheduled for tomorrow."""
    games = (
        await make_slate(session, games=count + upcoming, starts_in=timedelta(days=-days_ago))
    ).games
    for n, game in enumerate(games[:count]):
        game.status, game.home_score, game.away_score = "final", 100 + n % 2 * 10, 105
    games[count - 1].status = "postponed"
    games[count - 1].home_score = games[count - 1].away_score = None
    for game in games[count:]:
        game.start_time = utcnow() + timedelta(days=1)
    await session.flush()
    return games


@both_dialects
async def test_history_is_settled_notified_in_the_past_and_written_once(
    session: AsyncSession,
) -> None:
    now = utcnow()
    user = await make_user(session, username="demo-history")
    games = await _finished(session, 3)
    # Final, but it tipped off an hour ago: it would only be "settled" in the future.
    just_played = games[0]
    just_played.start_time = now - timedelta(hours=1)
    await session.flush()

    assert await seed_bet_history(session, username=user.username, games=10, now=now) == 2
    bets = list(await session.scalars(select(Bet).where(Bet.user_id == user.id)))
    assert sorted(b.game_id for b in bets) == sorted(g.id for g in games[1:])
    assert all(b.settled_at is not None and b.placed_at < b.settled_at <= now for b in bets)
    assert {b.status for b in bets} <= {"won", "lost", "refunded"}
    notes = list(await session.scalars(select(Notification).where(Notification.user_id == user.id)))
    assert {n.bet_id for n in notes} == {b.id for b in bets}
    assert {n.created_at for n in notes} == {b.settled_at for b in bets}
    summary = await bet_record.summary(session, user.id)
    assert summary.open == 0
    assert summary.bankroll_cents == summary.starting_bankroll_cents + summary.profit_cents
    await session.refresh(user)
    assert (user.leaderboard_opt_in, user.display_name) == (True, DEMO_DISPLAY_NAME)

    with pytest.raises(NothingAdded, match="written once"):
        await seed_bet_history(session, username=user.username, games=10, now=now)
    assert await session.scalar(select(func.count(Bet.id))) == 2


@both_dialects
async def test_an_account_with_its_own_bets_gets_no_demo_history(session: AsyncSession) -> None:
    user = await make_user(session, username="has-a-bet")
    *_played, upcoming = await _finished(session, 4, upcoming=1)
    await placing.place_bet(
        session, user_id=user.id, game_id=upcoming.id, side="home", stake_cents=500
    )
    with pytest.raises(NothingAdded, match="has bets"):
        await seed_bet_history(session, username=user.username, games=10)
    assert await session.scalar(select(func.count(Bet.id))) == 1
    await session.refresh(user)
    assert user.leaderboard_opt_in is False


async def test_the_demo_account_is_ranked_on_a_first_visit(session: AsyncSession) -> None:
    user = await make_user(session, username="demo-ranked")
    await _finished(session, 8)
    assert await seed_bet_history(session, username=user.username, games=10) == 8
    board = await leaderboard.leaderboard(session)
    assert [e.name for e in board.entries] == [DEMO_DISPLAY_NAME]


async def test_a_taken_display_name_keeps_the_account_off_the_board(
    session: AsyncSession,
) -> None:
    other = await make_user(session, username="named-first")
    other.display_name = DEMO_DISPLAY_NAME
    user = await make_user(session, username="demo-unnamed")
    await _finished(session, 2)
    await seed_bet_history(session, username=user.username)
    refreshed = await session.scalar(select(User).where(User.id == user.id))
    assert refreshed is not None and refreshed.leaderboard_opt_in is False


async def test_unknown_user_is_a_clear_error(session: AsyncSession) -> None:
    with pytest.raises(NothingAdded, match="no user named"):
        await seed_bet_history(session, username="nobody-here")
