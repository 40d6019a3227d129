"""The league tables as SQLAlchemy Core `Table`s: the public read API's whole data model.

The public API reads with Core statements (`services/league.py`) and needs no mapped classes;
building the ORM classes (`models/league.py`, mapped onto these tables) costs a cold start
some 50 ms, so those are built only where they are used (ingestion, betting, the pages).
Natural keys (abbreviation, `external_id`, …) are unique so the ingestion API can upsert.
Non-nullable unless said: these columns are what the migrations create.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from courtside.models.base import Base, UTCDateTime, utcnow

CONFERENCES = ("East", "West")
DIVISIONS = ("Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest")
POSITIONS = ("G", "F", "C", "G-F", "F-G", "F-C", "C-F")
MAX_PERIOD = 10
"""Four quarters and up to six overtimes (the NBA record is six)."""
QUARTER_SECONDS = 720

POSTGRES_ONLY_INDEXES = frozenset({"ix_players_name_trgm"})
"""Indexes a migration creates on PostgreSQL only and the models leave out: the trigram index
of the name search (migration 0008), an expression index with an operator class that
autogenerate cannot compare."""


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


def _updated_at() -> Column[object]:
    return Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


metadata = Base.metadata

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("abbreviation", String(4), nullable=False, unique=True),
    Column("city", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("conference", String(8), nullable=False),
    Column("division", String(16), nullable=False),
    _updated_at(),
    CheckConstraint(_in("conference", CONFERENCES), name="conference"),
    CheckConstraint(_in("division", DIVISIONS), name="division"),
    CheckConstraint("length(abbreviation) BETWEEN 2 AND 4", name="abbreviation_length"),
)

players = Table(
    "players",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("first_name", String(64), nullable=False),
    Column("last_name", String(64), nullable=False),
    Column("team_id", ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("position", String(3), nullable=False),
    Column("jersey", String(2), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    _updated_at(),
    CheckConstraint(_in("position", POSITIONS), name="position"),
    Index("ix_players_last_first_id", "last_name", "first_name", "id"),
    Index("ix_players_position_last_first_id", "position", "last_name", "first_name", "id"),
)

player_season_stats = Table(
    "player_season_stats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("player_id", ForeignKey("players.id", ondelete="CASCADE"), nullable=False),
    Column("season", Integer, nullable=False),
    Column("team_id", ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    Column("games_played", Integer, nullable=False),
    *(
        Column(name, Float, nullable=False)
        for name in (
            "minutes",
            "points",
            "rebounds",
            "assists",
            "steals",
            "blocks",
            "field_goal_pct",
            "three_point_pct",
            "free_throw_pct",
        )
    ),
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

games = Table(
    "games",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("season", Integer, nullable=False),
    Column("start_time", UTCDateTime, nullable=False),
    Column("home_team_id", ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False),
    Column("away_team_id", ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False),
    Column("status", String(16), nullable=False, default=GameStatus.SCHEDULED.value),
    Column("home_score", Integer, nullable=True),
    Column("away_score", Integer, nullable=True),
    # A live game's state, as the pipeline last sent it (migration 0011): the period (1-4
    # quarters, 5 and up overtimes) and the seconds left in it. None unless live.
    Column("period", SmallInteger, nullable=True),
    Column("clock_seconds", SmallInteger, nullable=True),
    _updated_at(),
    CheckConstraint("home_team_id <> away_team_id", name="distinct_teams"),
    CheckConstraint(f"period IS NULL OR period BETWEEN 1 AND {MAX_PERIOD}", name="period"),
    CheckConstraint(
        f"clock_seconds IS NULL OR clock_seconds BETWEEN 0 AND {QUARTER_SECONDS}",
        name="clock_seconds",
    ),
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

odds_snapshots = Table(
    "odds_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("game_id", ForeignKey("games.id", ondelete="CASCADE"), nullable=False),
    Column("bookmaker", String(64), nullable=False),
    Column("home_odds", Integer, nullable=False),
    Column("away_odds", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("game_id", "bookmaker", "recorded_at"),
    CheckConstraint("home_odds <= -100 OR home_odds >= 100", name="home_odds_american"),
    CheckConstraint("away_odds <= -100 OR away_odds >= 100", name="away_odds_american"),
    Index("ix_odds_snapshots_game_recorded", "game_id", "recorded_at"),
)

predictions = Table(
    "predictions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("game_id", ForeignKey("games.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("model_version", String(64), nullable=False),
    Column("home_win_probability", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("game_id", "model_version"),
    CheckConstraint("home_win_probability >= 0 AND home_win_probability <= 1", name="probability"),
)

injuries = Table(
    "injuries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("player_id", ForeignKey("players.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("reported_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("description", String(255), nullable=False, default=""),
    UniqueConstraint("player_id", "reported_on"),
    CheckConstraint(_in("status", InjuryStatus), name="status"),
)

row_counts = Table(
    "row_counts",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("row_count", BigInteger, nullable=False),
    CheckConstraint("row_count >= 0", name="non_negative"),
)
"""How many rows a large table holds, kept by the database's own triggers (migration 0008),
so the total of an unfiltered list costs one row read instead of a scan of the table."""
