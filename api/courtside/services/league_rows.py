"""The league read side's row shapes and the statements its queries share: the tables under
short names, a team, a game with both teams, each bookmaker's newest line, each game's newest
prediction (see `league` for why plain rows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.models import tables
from courtside.services.league_json import TEAM_FIELDS
from courtside.services.league_json import Row as Row

teams = tables.teams
players = tables.players
season_stats = tables.player_season_stats
games = tables.games
odds = tables.odds_snapshots
predictions = tables.predictions
injuries = tables.injuries
row_counts = tables.row_counts
home = teams.alias("home")
away = teams.alias("away")


TEAM_COLUMNS = tuple(teams.c[name] for name in TEAM_FIELDS)
"""What a team's response reads, first in every statement `team_row` shapes (not `updated_at`:
selecting it would cost a column and a time-zone conversion per row for nothing)."""


def team_ref(row: RowMapping, prefix: str) -> Row | None:
    if row[f"{prefix}id"] is None:
        return None
    return {
        "id": row[f"{prefix}id"],
        "abbreviation": row[f"{prefix}abbreviation"],
        "full_name": f"{row[f'{prefix}city']} {row[f'{prefix}name']}",
    }


def ref_columns(table: Any, prefix: str) -> list[Any]:
    return [
        table.c.id.label(f"{prefix}id"),
        table.c.abbreviation.label(f"{prefix}abbreviation"),
        table.c.city.label(f"{prefix}city"),
        table.c.name.label(f"{prefix}name"),
    ]


GAME_COLUMNS = (
    games.c.id,
    games.c.external_id,
    games.c.season,
    games.c.start_time,
    games.c.status,
    games.c.home_score,
    games.c.away_score,
    games.c.period,
    games.c.clock_seconds,
)


def game_row(row: RowMapping) -> Row:
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "season": row["season"],
        "start_time": row["start_time"],
        "status": row["status"],
        "home_score": row["home_score"],
        "away_score": row["away_score"],
        "period": row["period"],
        "clock_seconds": row["clock_seconds"],
        "home_team": team_ref(row, "home_"),
        "away_team": team_ref(row, "away_"),
    }


def games_with_teams(*extra: Any) -> Select[Any]:
    return select(*GAME_COLUMNS, *ref_columns(home, "home_"), *ref_columns(away, "away_"), *extra)


def join_teams(query: Select[Any], source: Any = games) -> Select[Any]:
    return query.select_from(
        source.join(home, home.c.id == source.c.home_team_id).join(
            away, away.c.id == source.c.away_team_id
        )
    )


LINE_COLUMNS = ("bookmaker", "home_odds", "away_odds", "recorded_at")
PREDICTION_COLUMNS = ("model_version", "home_win_probability", "created_at")


def latest_lines(game_ids: Any) -> Any:
    """Each bookmaker's newest snapshot of these games (rank 1)."""
    return (
        select(
            odds.c.game_id,
            *(odds.c[name] for name in LINE_COLUMNS),
            func.row_number()
            .over(
                partition_by=(odds.c.game_id, odds.c.bookmaker),
                order_by=odds.c.recorded_at.desc(),
            )
            .label("rank"),
        )
        .where(odds.c.game_id.in_(game_ids))
        .subquery("latest_line")
    )


def newest_predictions(condition: Any) -> Any:
    """Each game's newest prediction (the newest model run wins; rank 1)."""
    return (
        select(
            predictions.c.game_id,
            *(predictions.c[name] for name in PREDICTION_COLUMNS),
            func.row_number()
            .over(
                partition_by=predictions.c.game_id,
                order_by=(predictions.c.created_at.desc(), predictions.c.id.desc()),
            )
            .label("rank"),
        )
        .where(condition)
        .subquery("latest_prediction")
    )


def line_row(row: RowMapping) -> Row | None:
    if row["line_bookmaker"] is None:
        return None
    return {name: row[f"line_{name}"] for name in LINE_COLUMNS}


def prediction_row(row: RowMapping) -> Row | None:
    if row["prediction_model_version"] is None:
        return None
    return {name: row[f"prediction_{name}"] for name in PREDICTION_COLUMNS}


async def count_rows(connection: AsyncConnection, query: Select[Any]) -> int:
    total = await connection.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)
