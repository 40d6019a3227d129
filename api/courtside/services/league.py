"""Read-side queries of the public league API: one statement per request, plain rows.

Every function takes a read connection (`courtside.db.read`) and returns dicts shaped like the
response schemas (`courtside.schemas.league`; the teams and games pages also as their JSON,
`league_json`), built from Core rows: no ORM objects, no lazy loads, and joins instead of
follow-up look-ups (a game comes with both teams, the day's odds with each game's latest lines).
List totals come in the same statement: a window count (`pagination.from_window`), or for the
unfiltered player list the row count the database keeps (a window over every player would
read them all). What costs a second statement only happens off the common path: a page
past the end (its total), an unknown team (its 404).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, literal_column, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.domain_errors import NotFound
from courtside.schemas.common import PageParams
from courtside.services.league_calendar import local_day_bounds
from courtside.services.league_json import team_row
from courtside.services.league_rows import (
    LINE_COLUMNS,
    PREDICTION_COLUMNS,
    TEAM_COLUMNS,
    Row,
    count_rows,
    game_row,
    games,
    games_with_teams,
    injuries,
    join_teams,
    latest_lines,
    line_row,
    newest_predictions,
    players,
    prediction_row,
    predictions,
    ref_columns,
    row_counts,
    season_stats,
    team_ref,
    teams,
)
from courtside.services.pagination import TOTAL, from_window, window_total
from courtside.services.pagination import PageOf as PageOf
from courtside.services.teams_page import require_team

PLAYER_NAME = func.lower(players.c.first_name + literal_column("' '") + players.c.last_name)
"""The searched name; exactly the expression of the trigram index (migration 0008)."""


# --- teams and players ----------------------------------------------------------------------


async def get_team(connection: AsyncConnection, abbreviation: str) -> Row:
    row = (
        await connection.execute(
            select(*TEAM_COLUMNS).where(teams.c.abbreviation == abbreviation.upper())
        )
    ).first()
    if row is None:
        raise NotFound("team", abbreviation)
    return team_row(row)


def _players(*extra: Any) -> Select[Any]:
    return select(
        players.c.id,
        players.c.external_id,
        players.c.first_name,
        players.c.last_name,
        players.c.position,
        players.c.jersey,
        players.c.active,
        *ref_columns(teams, "team_"),
        *extra,
    ).select_from(players.outerjoin(teams, teams.c.id == players.c.team_id))


def _player(row: RowMapping) -> Row:
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "full_name": f"{row['first_name']} {row['last_name']}",
        "team": team_ref(row, "team_"),
        "position": row["position"],
        "jersey": row["jersey"],
        "active": row["active"],
    }


def name_pattern(q: str) -> str:
    """A LIKE pattern matching `q` anywhere, its wildcards escaped (escape character `\\`)."""
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_players(
    connection: AsyncConnection,
    page: PageParams,
    *,
    team: str | None = None,
    q: str | None = None,
    position: str | None = None,
) -> PageOf[Row]:
    """Players by name; 404 for an unknown team. The total comes with the page: from a window
    count when a team or a name narrows the list, from the trigger-kept row count when
    nothing does; a position alone is counted by a second, index-only statement."""
    conditions = []
    if team is not None:
        conditions.append(teams.c.abbreviation == team.upper())
    if q:
        conditions.append(PLAYER_NAME.like(name_pattern(q), escape="\\"))
    if position is not None:
        conditions.append(players.c.position == position.upper())
    if team is not None or q:
        total_column: list[Any] = [window_total()]
    elif position is None:
        total_column = [_counted_players().label(TOTAL)]
    else:
        total_column = []
    query = _players(*total_column).where(*conditions)
    ordered = query.order_by(players.c.last_name, players.c.first_name, players.c.id)
    rows = (await connection.execute(ordered.limit(page.limit).offset(page.offset))).all()

    async def check() -> None:
        if team is not None:
            await require_team(connection, team)

    async def count() -> int:
        if not rows:
            await check()
        if not conditions:
            return int(await connection.scalar(select(_counted_players())) or 0)
        return await count_rows(connection, _players().where(*conditions))

    if total_column:
        rows, total = await from_window(rows, count, page.offset, check)
    else:
        total = await count()
    return PageOf(items=[_player(row._mapping) for row in rows], total=total)


def _counted_players() -> Any:
    """The number of players, as kept by the database (migration 0008's triggers)."""
    return func.coalesce(
        select(row_counts.c.row_count)
        .where(row_counts.c.table_name == "players")
        .scalar_subquery(),
        0,
    )


async def get_player(connection: AsyncConnection, player_id: int) -> Row:
    """One player with every season's stats (newest first) and injury reports (newest first):
    one statement for the player and the stats, one for the injuries."""
    stats_team = teams.alias("stats_team")
    stat_columns = [
        column.label(f"stats_{column.name}")
        for column in season_stats.c
        if column.name not in ("id", "player_id", "team_id")
    ]
    query = (
        _players(*stat_columns, stats_team.c.abbreviation.label("stats_team_abbreviation"))
        .outerjoin(season_stats, season_stats.c.player_id == players.c.id)
        .outerjoin(stats_team, stats_team.c.id == season_stats.c.team_id)
        .where(players.c.id == player_id)
        .order_by(season_stats.c.season.desc())
    )
    rows = [row._mapping for row in (await connection.execute(query)).all()]
    if not rows:
        raise NotFound("player", player_id)
    player = _player(rows[0])
    player["season_stats"] = [
        {
            **{column.name.removeprefix("stats_"): row[column.name] for column in stat_columns},
            "team_abbreviation": row["stats_team_abbreviation"],
        }
        for row in rows
        if row["stats_season"] is not None
    ]
    reports = await connection.execute(
        select(injuries.c.reported_on, injuries.c.status, injuries.c.description)
        .where(injuries.c.player_id == player_id)
        .order_by(injuries.c.reported_on.desc())
    )
    player["injuries"] = [dict(row._mapping) for row in reports]
    return player


# --- games, odds, predictions ---------------------------------------------------------------


def _day_condition(day: date, zone: ZoneInfo) -> Any:
    start, end = local_day_bounds(day, zone)
    return and_(games.c.start_time >= start, games.c.start_time < end)


def _with_latest_lines(game_rows: Any, order: Sequence[Any]) -> Select[Any]:
    """Each row of `game_rows` (a subquery of games) with each bookmaker's latest line."""
    latest = latest_lines(select(game_rows.c.id))
    return (
        select(
            game_rows,
            *(latest.c[name].label(f"line_{name}") for name in LINE_COLUMNS),
        )
        .select_from(
            game_rows.outerjoin(
                latest, and_(latest.c.game_id == game_rows.c.id, latest.c.rank == 1)
            )
        )
        .order_by(*order, latest.c.bookmaker)
    )


def _group_lines(rows: Sequence[Any]) -> list[tuple[RowMapping, list[Row]]]:
    """Rows of (game, line) in game order → each game once, with its lines in order."""
    grouped: list[tuple[RowMapping, list[Row]]] = []
    for row in rows:
        mapping = row._mapping
        if not grouped or grouped[-1][0]["id"] != mapping["id"]:
            grouped.append((mapping, []))
        line = line_row(mapping)
        if line is not None:
            grouped[-1][1].append(line)
    return grouped


async def get_game(connection: AsyncConnection, game_id: int) -> Row:
    """One game with each bookmaker's latest line and the latest prediction."""
    prediction = newest_predictions(predictions.c.game_id == game_id)
    the_game = (
        join_teams(
            games_with_teams(
                *(prediction.c[name].label(f"prediction_{name}") for name in PREDICTION_COLUMNS)
            )
        )
        .outerjoin(prediction, and_(prediction.c.game_id == games.c.id, prediction.c.rank == 1))
        .where(games.c.id == game_id)
        .subquery("game")
    )
    rows = (await connection.execute(_with_latest_lines(the_game, [the_game.c.id]))).all()
    if not rows:
        raise NotFound("game", game_id)
    (row, lines), *_ = _group_lines(rows)
    return {**game_row(row), "latest_odds": lines, "prediction": prediction_row(row)}


async def list_odds(
    connection: AsyncConnection, page: PageParams, *, day: date, zone: ZoneInfo
) -> PageOf[Row]:
    """The day's games, each with every bookmaker's latest line."""
    condition = _day_condition(day, zone)
    game_rows = (
        join_teams(games_with_teams(window_total()))
        .where(condition)
        .order_by(games.c.start_time, games.c.id)
        .limit(page.limit)
        .offset(page.offset)
        .subquery("page")
    )
    query = _with_latest_lines(game_rows, [game_rows.c.start_time, game_rows.c.id])
    rows, total = await from_window(
        (await connection.execute(query)).all(),
        lambda: count_rows(connection, select(games.c.id).where(condition)),
        page.offset,
    )
    return PageOf(
        items=[{"game": game_row(row), "odds": lines} for row, lines in _group_lines(rows)],
        total=total,
    )


async def list_predictions(
    connection: AsyncConnection, page: PageParams, *, day: date, zone: ZoneInfo
) -> PageOf[Row]:
    """The day's games that have a prediction, each with its latest one."""
    condition = _day_condition(day, zone)
    in_day = select(games.c.id).where(condition)
    prediction = newest_predictions(predictions.c.game_id.in_(in_day))
    query = (
        join_teams(
            games_with_teams(
                *(prediction.c[name].label(f"prediction_{name}") for name in PREDICTION_COLUMNS),
                window_total(),
            )
        )
        .join(prediction, and_(prediction.c.game_id == games.c.id, prediction.c.rank == 1))
        .where(condition)
        .order_by(games.c.start_time, games.c.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    has_prediction = exists().where(predictions.c.game_id == games.c.id)
    rows, total = await from_window(
        (await connection.execute(query)).all(),
        lambda: count_rows(connection, select(games.c.id).where(condition, has_prediction)),
        page.offset,
    )
    return PageOf(
        items=[
            {"game": game_row(row._mapping), "prediction": prediction_row(row._mapping)}
            for row in rows
        ],
        total=total,
    )
