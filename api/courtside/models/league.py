"""The league's mapped classes: teams, players, games, odds, predictions, injuries.

Mapped onto the Core tables of `courtside.models.tables`, where each column is declared once
(with the constraints and indexes): each class inherits its table's column annotations
(`tables.TeamColumns`, …), so mypy types `Team.id` from the same declaration that built
`teams`, and adds only its relationships and properties. The public read API uses those
tables alone, and these classes are built only where objects are wanted (ingestion,
betting, the pages).
"""

from __future__ import annotations

from sqlalchemy.orm import Mapped, relationship

from courtside.league_statuses import GameStatus, InjuryStatus
from courtside.models import tables
from courtside.models.base import Base
from courtside.models.tables import CONFERENCES, DIVISIONS, POSTGRES_ONLY_INDEXES

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


class Team(tables.TeamColumns, Base):
    __table__ = tables.teams

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


class Player(tables.PlayerColumns, Base):
    __table__ = tables.players

    team: Mapped[Team | None] = relationship(lazy="raise")
    season_stats: Mapped[list[PlayerSeasonStats]] = relationship(
        lazy="raise", order_by="PlayerSeasonStats.season.desc()"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PlayerSeasonStats(tables.PlayerSeasonStatsColumns, Base):
    """Per-game averages of one player over one season (a season is named by its start year)."""

    __table__ = tables.player_season_stats


class Game(tables.GameColumns, Base):
    __table__ = tables.games

    home_team: Mapped[Team] = relationship(foreign_keys=[tables.games.c.home_team_id], lazy="raise")
    away_team: Mapped[Team] = relationship(foreign_keys=[tables.games.c.away_team_id], lazy="raise")


class OddsSnapshot(tables.OddsSnapshotColumns, Base):
    """One bookmaker's moneyline for a game at one moment (American odds)."""

    __table__ = tables.odds_snapshots


class Prediction(tables.PredictionColumns, Base):
    __table__ = tables.predictions


class Injury(tables.InjuryColumns, Base):
    __table__ = tables.injuries

    player: Mapped[Player] = relationship(lazy="raise")
