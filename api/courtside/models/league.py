"""League data produced by the ELT pipeline: teams, players, games, odds, predictions, injuries.

Natural keys (abbreviation, `external_id`, …) are unique so the ingestion API can upsert.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courtside.models.base import Base, UTCDateTime, utcnow

CONFERENCES = ("East", "West")

POSTGRES_ONLY_INDEXES = frozenset({"ix_players_name_trgm"})
"""Indexes a migration creates on PostgreSQL only and the models leave out: the trigram index
of the name search (migration 0008), an expression index with an operator class that
autogenerate cannot compare."""
DIVISIONS = ("Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest")


class GameStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    FINAL = "final"
    POSTPONED = "postponed"


class InjuryStatus(StrEnum):
    OUT = "out"
    DOUBTFUL = "doubtful"
    QUESTIONABLE = "questionable"
    PROBABLE = "probable"
    DAY_TO_DAY = "day-to-day"


def _in(column: str, values: tuple[str, ...] | type[StrEnum]) -> str:
    items = [v.value for v in values] if isinstance(values, type) else list(values)
    quoted = ", ".join(f"'{item}'" for item in items)
    return f"{column} IN ({quoted})"


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint(_in("conference", CONFERENCES), name="conference"),
        CheckConstraint(_in("division", DIVISIONS), name="division"),
        CheckConstraint("length(abbreviation) BETWEEN 2 AND 4", name="abbreviation_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    abbreviation: Mapped[str] = mapped_column(String(4), unique=True)
    city: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    conference: Mapped[str] = mapped_column(String(8))
    division: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


class Player(Base):
    __tablename__ = "players"
    __table_args__ = (
        CheckConstraint(
            _in("position", ("G", "F", "C", "G-F", "F-G", "F-C", "C-F")), name="position"
        ),
        Index("ix_players_last_first_id", "last_name", "first_name", "id"),
        Index("ix_players_position_last_first_id", "position", "last_name", "first_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[str] = mapped_column(String(3))
    jersey: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team: Mapped[Team | None] = relationship(lazy="raise")
    season_stats: Mapped[list[PlayerSeasonStats]] = relationship(
        lazy="raise", order_by="PlayerSeasonStats.season.desc()"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PlayerSeasonStats(Base):
    """Per-game averages of one player over one season (a season is named by its start year)."""

    __tablename__ = "player_season_stats"
    __table_args__ = (
        UniqueConstraint("player_id", "season"),
        CheckConstraint("games_played >= 0 AND games_played <= 82", name="games_played"),
        CheckConstraint(
            "minutes >= 0 AND points >= 0 AND rebounds >= 0 AND assists >= 0 "
            "AND steals >= 0 AND blocks >= 0",
            name="non_negative",
        ),
        CheckConstraint(
            "field_goal_pct >= 0 AND field_goal_pct <= 1 "
            "AND three_point_pct >= 0 AND three_point_pct <= 1 "
            "AND free_throw_pct >= 0 AND free_throw_pct <= 1",
            name="percentages",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"))
    season: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    games_played: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)
    rebounds: Mapped[float] = mapped_column(Float)
    assists: Mapped[float] = mapped_column(Float)
    steals: Mapped[float] = mapped_column(Float)
    blocks: Mapped[float] = mapped_column(Float)
    field_goal_pct: Mapped[float] = mapped_column(Float)
    three_point_pct: Mapped[float] = mapped_column(Float)
    free_throw_pct: Mapped[float] = mapped_column(Float)


class Game(Base):
    __tablename__ = "games"
    __table_args__ = (
        CheckConstraint("home_team_id <> away_team_id", name="distinct_teams"),
        CheckConstraint(_in("status", GameStatus), name="status"),
        CheckConstraint(
            "(home_score IS NULL OR home_score >= 0) AND (away_score IS NULL OR away_score >= 0)",
            name="scores_non_negative",
        ),
        CheckConstraint(
            "status <> 'final' OR (home_score IS NOT NULL AND away_score IS NOT NULL "
            "AND home_score <> away_score)",
            name="final_has_winner",
        ),
        Index("ix_games_start_time", "start_time"),
        Index("ix_games_season_status_start_time", "season", "status", "start_time", "id"),
        Index("ix_games_home_team_id", "home_team_id"),
        Index("ix_games_away_team_id", "away_team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    season: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    home_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    away_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=GameStatus.SCHEDULED.value)
    home_score: Mapped[int | None] = mapped_column(Integer)
    away_score: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    home_team: Mapped[Team] = relationship(foreign_keys=[home_team_id], lazy="raise")
    away_team: Mapped[Team] = relationship(foreign_keys=[away_team_id], lazy="raise")


class OddsSnapshot(Base):
    """One bookmaker's moneyline for a game at one moment (American odds)."""

    __tablename__ = "odds_snapshots"
    __table_args__ = (
        UniqueConstraint("game_id", "bookmaker", "recorded_at"),
        CheckConstraint("home_odds <= -100 OR home_odds >= 100", name="home_odds_american"),
        CheckConstraint("away_odds <= -100 OR away_odds >= 100", name="away_odds_american"),
        Index("ix_odds_snapshots_game_recorded", "game_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    bookmaker: Mapped[str] = mapped_column(String(64))
    home_odds: Mapped[int] = mapped_column(Integer)
    away_odds: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("game_id", "model_version"),
        CheckConstraint(
            "home_win_probability >= 0 AND home_win_probability <= 1", name="probability"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    home_win_probability: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Injury(Base):
    __tablename__ = "injuries"
    __table_args__ = (
        UniqueConstraint("player_id", "reported_on"),
        CheckConstraint(_in("status", InjuryStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id", ondelete="CASCADE"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(255), default="")

    player: Mapped[Player] = relationship(lazy="raise")
