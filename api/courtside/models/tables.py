"""The league tables as SQLAlchemy Core `Table`s: the public read API's whole data model.

The public API reads with Core statements (`services/league.py`) and needs no mapped classes;
building the ORM classes (`models/league.py`, mapped onto these tables) costs a cold start
some 50 ms, so those are built only where they are used (ingestion, betting, the pages).
Natural keys (abbreviation, `external_id`, …) are unique so the ingestion API can upsert.

Each column is declared once, as an annotation of a plain class (`TeamColumns`, …): its
attribute name is the column's name, its `Mapped[...]` type is the Python type (nullable if and
only if it admits `None`), and its `col(...)` holds the SQL type, keys, defaults and index. The
`Table` is built from that class, and the mapped class of `models/league.py` inherits it, so
mypy sees the same annotations on `Team` that built `teams`. This module deliberately has no
`from __future__ import annotations`: the annotations are read at import, once.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, get_args, get_type_hints

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
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.schema import SchemaItem

from courtside.league_statuses import GameStatus, InjuryStatus
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


def _in(column: str, values: tuple[str, ...] | type[StrEnum]) -> str:
    items = [v.value for v in values] if isinstance(values, type) else list(values)
    quoted = ", ".join(f"'{item}'" for item in items)
    return f"{column} IN ({quoted})"


@dataclass(frozen=True)
class Col:
    """What a column is in SQL, besides its name and nullability (see `col`)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


def col(*args: Any, **kwargs: Any) -> Col:
    """A column's SQL type (or foreign key) and options, as `Column` takes them after the name,
    without `nullable`: that comes from the annotation."""
    if "nullable" in kwargs:
        raise TypeError("nullability is the annotation's: Mapped[X | None]")
    return Col(args, kwargs)


def _table(name: str, columns: type, *extra: SchemaItem) -> Table:
    """The `Table` named `name` whose columns are the annotations of `columns`, in order."""
    built: list[Column[Any]] = []
    for attr, hint in get_type_hints(columns, include_extras=True).items():
        mapped, spec = get_args(hint)
        nullable = type(None) in get_args(get_args(mapped)[0])
        built.append(Column(attr, *spec.args, nullable=nullable, **spec.kwargs))
    return Table(name, metadata, *built, *extra)


def _updated_at() -> Col:
    return col(UTCDateTime, default=utcnow, onupdate=utcnow)


metadata = Base.metadata


class TeamColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    abbreviation: Annotated[Mapped[str], col(String(4), unique=True)]
    city: Annotated[Mapped[str], col(String(64))]
    name: Annotated[Mapped[str], col(String(64))]
    conference: Annotated[Mapped[str], col(String(8))]
    division: Annotated[Mapped[str], col(String(16))]
    updated_at: Annotated[Mapped[datetime], _updated_at()]


teams = _table(
    "teams",
    TeamColumns,
    CheckConstraint(_in("conference", CONFERENCES), name="conference"),
    CheckConstraint(_in("division", DIVISIONS), name="division"),
    CheckConstraint("length(abbreviation) BETWEEN 2 AND 4", name="abbreviation_length"),
)


class PlayerColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    external_id: Annotated[Mapped[str], col(String(64), unique=True)]
    first_name: Annotated[Mapped[str], col(String(64))]
    last_name: Annotated[Mapped[str], col(String(64))]
    team_id: Annotated[
        Mapped[int | None], col(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    ]
    position: Annotated[Mapped[str], col(String(3))]
    jersey: Annotated[Mapped[str | None], col(String(2))]
    active: Annotated[Mapped[bool], col(Boolean, default=True)]
    updated_at: Annotated[Mapped[datetime], _updated_at()]


players = _table(
    "players",
    PlayerColumns,
    CheckConstraint(_in("position", POSITIONS), name="position"),
    Index("ix_players_last_first_id", "last_name", "first_name", "id"),
    Index("ix_players_position_last_first_id", "position", "last_name", "first_name", "id"),
)


class PlayerSeasonStatsColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    player_id: Annotated[Mapped[int], col(ForeignKey("players.id", ondelete="CASCADE"))]
    season: Annotated[Mapped[int], col(Integer)]
    team_id: Annotated[Mapped[int | None], col(ForeignKey("teams.id", ondelete="SET NULL"))]
    games_played: Annotated[Mapped[int], col(Integer)]
    minutes: Annotated[Mapped[float], col(Float)]
    points: Annotated[Mapped[float], col(Float)]
    rebounds: Annotated[Mapped[float], col(Float)]
    assists: Annotated[Mapped[float], col(Float)]
    steals: Annotated[Mapped[float], col(Float)]
    blocks: Annotated[Mapped[float], col(Float)]
    field_goal_pct: Annotated[Mapped[float], col(Float)]
    three_point_pct: Annotated[Mapped[float], col(Float)]
    free_throw_pct: Annotated[Mapped[float], col(Float)]


player_season_stats = _table(
    "player_season_stats",
    PlayerSeasonStatsColumns,
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


class GameColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    external_id: Annotated[Mapped[str], col(String(64), unique=True)]
    season: Annotated[Mapped[int], col(Integer)]
    start_time: Annotated[Mapped[datetime], col(UTCDateTime)]
    home_team_id: Annotated[Mapped[int], col(ForeignKey("teams.id", ondelete="RESTRICT"))]
    away_team_id: Annotated[Mapped[int], col(ForeignKey("teams.id", ondelete="RESTRICT"))]
    status: Annotated[Mapped[str], col(String(16), default=GameStatus.SCHEDULED.value)]
    home_score: Annotated[Mapped[int | None], col(Integer)]
    away_score: Annotated[Mapped[int | None], col(Integer)]
    # A live game's state, as the pipeline last sent it (migration 0011): the period (1-4
    # quarters, 5 and up overtimes) and the seconds left in it. None unless live.
    period: Annotated[Mapped[int | None], col(SmallInteger)]
    clock_seconds: Annotated[Mapped[int | None], col(SmallInteger)]
    updated_at: Annotated[Mapped[datetime], _updated_at()]


games = _table(
    "games",
    GameColumns,
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


class OddsSnapshotColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    game_id: Annotated[Mapped[int], col(ForeignKey("games.id", ondelete="CASCADE"))]
    bookmaker: Annotated[Mapped[str], col(String(64))]
    home_odds: Annotated[Mapped[int], col(Integer)]
    away_odds: Annotated[Mapped[int], col(Integer)]
    recorded_at: Annotated[Mapped[datetime], col(UTCDateTime)]


odds_snapshots = _table(
    "odds_snapshots",
    OddsSnapshotColumns,
    UniqueConstraint("game_id", "bookmaker", "recorded_at"),
    CheckConstraint("home_odds <= -100 OR home_odds >= 100", name="home_odds_american"),
    CheckConstraint("away_odds <= -100 OR away_odds >= 100", name="away_odds_american"),
    Index("ix_odds_snapshots_game_recorded", "game_id", "recorded_at"),
)


class PredictionColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    game_id: Annotated[Mapped[int], col(ForeignKey("games.id", ondelete="CASCADE"), index=True)]
    model_version: Annotated[Mapped[str], col(String(64))]
    home_win_probability: Annotated[Mapped[float], col(Float)]
    created_at: Annotated[Mapped[datetime], _updated_at()]


predictions = _table(
    "predictions",
    PredictionColumns,
    UniqueConstraint("game_id", "model_version"),
    CheckConstraint("home_win_probability >= 0 AND home_win_probability <= 1", name="probability"),
)


class InjuryColumns:
    id: Annotated[Mapped[int], col(Integer, primary_key=True)]
    player_id: Annotated[Mapped[int], col(ForeignKey("players.id", ondelete="CASCADE"), index=True)]
    reported_on: Annotated[Mapped[date], col(Date)]
    status: Annotated[Mapped[str], col(String(16))]
    description: Annotated[Mapped[str], col(String(255), default="")]


injuries = _table(
    "injuries",
    InjuryColumns,
    UniqueConstraint("player_id", "reported_on"),
    CheckConstraint(_in("status", InjuryStatus), name="status"),
)


class RowCountColumns:
    """How many rows a large table holds, kept by the database's own triggers (migration 0008),
    so the total of an unfiltered list costs one row read instead of a scan of the table."""

    table_name: Annotated[Mapped[str], col(String(64), primary_key=True)]
    row_count: Annotated[Mapped[int], col(BigInteger)]


row_counts = _table(
    "row_counts",
    RowCountColumns,
    CheckConstraint("row_count >= 0", name="non_negative"),
)
