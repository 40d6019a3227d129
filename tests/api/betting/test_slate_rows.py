"""The board's and the game page's games read as rows (`board.SLATES` and `GAME_SLATES`
select `game_rows.COLUMNS`, issue 23) instead of `Game` objects with their teams
eager-loaded: every field a page reads, both teams (and their `full_name`), the newest
prediction and the viewer's bet (every column a card reads, `display_status` included)
equal to what the ORM read gives, for games of every state (scheduled, live with and without
a clock, final, postponed; with and without a prediction, a bet, a refunded bet, a cancelled
one), a team filter and a viewer or none, on both dialects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from courtside.models import Bet, Game, Team
from courtside.services import board
from courtside.services.game_rows import GameRow
from tests.api.auth.helpers import make_user
from tests.helpers import both_dialects, make_game, make_prediction, make_teams, utc

FIELDS = [name for name in GameRow._fields if name not in ("home_team", "away_team")]
TEAM_FIELDS = ("id", "abbreviation", "city", "name", "full_name")


def _team(team: Any) -> tuple[Any, ...]:
    return tuple(getattr(team, name) for name in TEAM_FIELDS)


def _game(game: Any) -> tuple[Any, ...]:
    values = tuple(getattr(game, name) for name in FIELDS)
    return (*values, *map(type, values), _team(game.home_team), _team(game.away_team))


async def _seed(session: AsyncSession) -> tuple[int, str, set[int], dict[int, str]]:
    teams = list((await make_teams(session)).values())
    user, other = await make_user(session), await make_user(session)
    tip = utc(2026, 12, 6, 0, 30)
    states: list[dict[str, Any]] = [
        {"status": "scheduled"},
        {"status": "live", "home_score": 50, "away_score": 48, "period": 3, "clock_seconds": 61},
        {"status": "live", "home_score": 0, "away_score": 0, "period": 5, "clock_seconds": None},
        {"status": "live", "home_score": 2, "away_score": 0},
        {"status": "final", "home_score": 101, "away_score": 99},
        {"status": "postponed"},
        {"status": "scheduled"},
    ]
    games = [
        await make_game(session, teams[n % 4], teams[(n + 1) % 4], tip + timedelta(hours=n), **f)
        for n, f in enumerate(states)
    ]
    for game in games[::2]:
        await make_prediction(session, game, 0.61)

    def bet(owner: int, game: Game, status: str, minutes: int) -> Bet:
        return Bet(user_id=owner, game_id=game.id, side="home", stake_cents=500, odds=-110,
                   bookmaker="a", odds_recorded_at=game.start_time - timedelta(days=1),
                   status=status, profit_cents=0 if status == "refunded" else None,
                   placed_at=game.start_time - timedelta(minutes=minutes),
                   settled_at=game.start_time if status == "refunded" else None)  # fmt: skip

    cancelled = bet(user.id, games[5], "refunded", 30)
    cancelled.cancelled_at = games[5].start_time - timedelta(minutes=10)
    session.add_all([
        bet(user.id, games[0], "open", 60), bet(user.id, games[1], "refunded", 90),
        bet(user.id, games[1], "open", 120), cancelled, bet(other.id, games[6], "open", 30),
    ])  # fmt: skip
    await session.flush()
    predicted = {game.id for game in games[::2]}
    mine = {games[0].id: "open", games[1].id: "open", games[5].id: "refunded"}
    return user.id, teams[0].abbreviation, predicted, mine


async def _orm(session: AsyncSession, team: str | None) -> list[Game]:
    query = select(Game).options(selectinload(Game.home_team), selectinload(Game.away_team))
    if team is not None:
        team_id = select(Team.id).where(Team.abbreviation == team).scalar_subquery()
        query = query.where((Game.home_team_id == team_id) | (Game.away_team_id == team_id))
    return list(await session.scalars(query.order_by(Game.start_time, Game.id)))


@both_dialects
async def test_the_slate_rows_are_the_games_and_teams(session: AsyncSession) -> None:
    user_id, abbreviation, predicted, mine = await _seed(session)
    start, end = utc(2026, 12, 1), utc(2026, 12, 9)
    compared = 0
    shown_statuses: set[str] = set()
    for team in (None, abbreviation):
        expected = await _orm(session, team)
        for viewer in (None, user_id):
            slate = await board.games_between(
                session, start, end, limit=50, team=team, user_id=viewer
            )
            assert [_game(g) for g in slate.games] == [_game(g) for g in expected]
            compared += len(slate.games)
            shown = {g.id for g in expected}
            assert slate.predictions == {g: 0.61 for g in predicted & shown}
            if viewer is None:
                assert slate.bets is None
            else:
                assert slate.bets is not None
                got = {game: (bet.status, bet.user_id) for game, bet in slate.bets.items()}
                assert got == {g: (s, user_id) for g, s in mine.items() if g in shown}
                for game_id, bet in slate.bets.items():  # every column the cards read
                    orm = await session.get(Bet, bet.id)
                    assert orm is not None and orm.game_id == game_id
                    assert [getattr(bet, name) for name in type(bet).__slots__] == [
                        getattr(orm, name) for name in type(bet).__slots__
                    ]
                    assert bet.display_status == orm.display_status
                    shown_statuses.add(bet.display_status)
    for game in await _orm(session, None):
        one = await board.game_slate(session, game.id, user_id)
        assert [_game(g) for g in one.games] == [_game(game)]
    assert compared >= 14
    assert shown_statuses == {"open", "cancelled"}
