"""The league's mapped classes: teams, players, games, odds, predictions, injuries.

Mapped onto the Core tables of `courtside.models.tables` (where the columns, constraints and
indexes are declared): the public read API uses those tables alone, and these classes are
built only where objects are wanted (ingestion, betting, the pages).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped, relationship

from courtside.models import tables
from courtside.models.base import Base
from courtside.models.tables import (
    CONFERENCES,
    DIVISIONS,
    POSTGRES_ONLY_INDEXES,
    GameStatus,
    InjuryStatus,
)

__all__ = [
    "CONFERENCES",
    "DIVISIONS",
    "POSTGRES_ONLY_INDEXES",
    "Game",
    "GameStatus",
    "Injury",
    "InjuryStatus",
    "OddsSnapshot",
    "Player",
    "PlayerSeasonStats",
    "Prediction",
    "Team",
]


class Team(Base):
    __table__ = tables.teams

    id: Mapped[int]
    abbreviation: Mapped[str]
    city: Mapped[str]
    name: Mapped[str]
    conference: Mapped[str]
    division: Mapped[str]
    updated_at: Mapped[datetime]

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


class Player(Base):
    __table__ = tables.players

    id: Mapped[int]
    external_id: Mapped[str]
    first_name: Mapped[str]
    last_name: Mapped[str]
    team_id: Mapped[int | None]
    position: Mapped[str]
    jersey: Mapped[str | None]
    active: Mapped[bool]
    updated_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship(lazy="raise")
    season_stats: Mapped[list[PlayerSeasonStats]] = relationship(
        lazy="raise", order_by="PlayerSeasonStats.season.desc()"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PlayerSeasonStats(Base):
    """Per-game averages of one player over one season (a season is named by its start year)."""

    __table__ = tables.player_season_stats

    id: Mapped[int]
    player_id: Mapped[int]
    season: Mapped[int]
    team_id: Mapped[int | None]
    games_played: Mapped[int]
    minutes: Mapped[float]
    points: Mapped[float]
    rebounds: Mapped[float]
    assists: Mapped[float]
    steals: Mapped[float]
    blocks: Mapped[float]
    field_goal_pct: Mapped[float]
    three_point_pct: Mapped[float]
    free_throw_pct: Mapped[float]


class Game(Base):
    __table__ = tables.games

    id: Mapped[int]
    external_id: Mapped[str]
    season: Mapped[int]
    start_time: Mapped[datetime]
    home_team_id: Mapped[int]
    away_team_id: Mapped[int]
    status: Mapped[str]
    home_score: Mapped[int | None]
    away_score: Mapped[int | None]
    period: Mapped[int | None]
    clock_seconds: Mapped[int | None]
    updated_at: Mapped[datetime]

    home_team: Mapped[Team] = relationship(foreign_keys=[tables.games.c.home_team_id], lazy="raise")
    away_team: Mapped[Team] = relationship(foreign_keys=[tables.games.c.away_team_id], lazy="raise")


class OddsSnapshot(Base):
    """One bookmaker's moneyline for a game at one moment (American odds)."""

    __table__ = tables.odds_snapshots

    id: Mapped[int]
    game_id: Mapped[int]
    bookmaker: Mapped[str]
    home_odds: Mapped[int]
    away_odds: Mapped[int]
    recorded_at: Mapped[datetime]


class Prediction(Base):
    __table__ = tables.predictions

    id: Mapped[int]
    game_id: Mapped[int]
    model_version: Mapped[str]
    home_win_probability: Mapped[float]
    created_at: Mapped[datetime]


class Injury(Base):
    __table__ = tables.injuries

    id: Mapped[int]
    player_id: Mapped[int]
    reported_on: Mapped[date]
    status: Mapped[str]
    description: Mapped[str]

    player: Mapped[Player] = relationship(lazy="raise")
