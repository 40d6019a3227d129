"""Shared test helpers: dialect parametrization and small factories for league rows."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Game, OddsSnapshot, Player, PlayerSeasonStats, Prediction, Team

both_dialects = pytest.mark.parametrize("dialect", ["postgres", "sqlite"], indirect=True)
"""Run the test once on PostgreSQL and once on SQLite."""

_seq = itertools.count(1)

TEAM_ROWS = [
    ("BOS", "Boston", "Celtics", "East", "Atlantic"),
    ("NYK", "New York", "Knicks", "East", "Atlantic"),
    ("LAL", "Los Angeles", "Lakers", "West", "Pacific"),
    ("DEN", "Denver", "Nuggets", "West", "Northwest"),
]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def make_teams(session: AsyncSession) -> dict[str, Team]:
    teams = {
        abbr: Team(abbreviation=abbr, city=city, name=name, conference=conf, division=div)
        for abbr, city, name, conf, div in TEAM_ROWS
    }
    session.add_all(teams.values())
    await session.flush()
    return teams


async def make_player(session: AsyncSession, team: Team | None, **fields: Any) -> Player:
    n = next(_seq)
    values: dict[str, Any] = {
        "external_id": f"p-{n}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "position": "G",
        "jersey": str(n % 100),
        "active": True,
        "team_id": team.id if team else None,
    }
    values.update(fields)
    player = Player(**values)
    session.add(player)
    await session.flush()
    return player


def make_season_stats(
    session: AsyncSession, player: Player, team: Team, season: int = 2026
) -> PlayerSeasonStats:
    """A season's averages for `player` (fixed, plausible values; the tests read them back)."""
    stats = PlayerSeasonStats(
        player_id=player.id,
        season=season,
        team_id=team.id,
        games_played=10,
        minutes=36.1,
        points=27.5,
        rebounds=8.1,
        assists=4.9,
        steals=1.1,
        blocks=0.7,
        field_goal_pct=0.47,
        three_point_pct=0.37,
        free_throw_pct=0.85,
    )
    session.add(stats)
    return stats


async def make_game(
    session: AsyncSession,
    home: Team,
    away: Team,
    start_time: datetime,
    **fields: Any,
) -> Game:
    n = next(_seq)
    values: dict[str, Any] = {
        "external_id": f"g-{n}",
        "season": 2026,
        "start_time": start_time,
        "home_team_id": home.id,
        "away_team_id": away.id,
        "status": "scheduled",
    }
    values.update(fields)
    game = Game(**values)
    session.add(game)
    await session.flush()
    return game


async def make_odds(
    session: AsyncSession, game: Game, home: int, away: int, at: datetime, bookmaker: str = "book"
) -> OddsSnapshot:
    row = OddsSnapshot(
        game_id=game.id, bookmaker=bookmaker, home_odds=home, away_odds=away, recorded_at=at
    )
    session.add(row)
    await session.flush()
    return row


async def make_prediction(
    session: AsyncSession, game: Game, probability: float, version: str = "v1"
) -> Prediction:
    row = Prediction(game_id=game.id, model_version=version, home_win_probability=probability)
    session.add(row)
    await session.flush()
    return row


def day(value: str) -> date:
    return date.fromisoformat(value)
