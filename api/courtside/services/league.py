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
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.domain_errors import NotFound
from courtside.prepared import Prepared, fetch
from courtside.schemas.common import PageParams
from courtside.services.league_calendar import local_day_bounds
from courtside.services.league_json import page_json, team_row
from courtside.services.league_rows import (
    LINE_COLUMNS,
    PREDICTION_COLUMNS,
    TEAM_COLUMNS,
    Row,
    away,
    count_rows,
    game_at,
    game_row,
    games,
    games_with_teams,
    home,
    injuries,
    join_teams,
    latest_lines,
    line_row,
    newest_predictions,
    players,
    prediction_row,
    predictions,
    ref_columns,
    require_team,
    row_counts,
    season_stats,
    team_ref,
    teams,
)
from courtside.services.pagination import TOTAL, from_last_column, from_window, window_total
from courtside.services.pagination import PageOf as PageOf

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


def _team_condition(team: str) -> Any:
    abbreviation = team.upper()
    return or_(home.c.abbreviation == abbreviation, away.c.abbreviation == abbreviation)


def _games_page(team: bool, status: bool) -> Prepared:
    """A day's page of games, with both teams and the window total; filtered by a team
    and/or a status (parameters `start`, `end`, `team`, `status`, `limit`, `offset`)."""

    def build() -> Select[Any]:
        conditions = [
            games.c.start_time >= bindparam("start"),
            games.c.start_time < bindparam("end"),
        ]
        if team:
            abbreviation: Any = bindparam("team")
            conditions.append(
                or_(home.c.abbreviation == abbreviation, away.c.abbreviation == abbreviation)
            )
        if status:
            conditions.append(games.c.status == bindparam("status"))
        query = join_teams(games_with_teams(window_total())).where(*conditions)
        return (
            query.order_by(games.c.start_time, games.c.id)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )

    return Prepared(build)


GAMES_PAGES = {
    (team, status): _games_page(team, status) for team in (False, True) for status in (False, True)
}


async def _games_rows(
    connection: AsyncConnection,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None,
    status: str | None,
) -> PageOf[Any]:
    """A day's page of game rows (read by position: `game_at`) and the total."""
    start, end = local_day_bounds(day, zone)
    rows = await fetch(
        connection,
        GAMES_PAGES[team is not None, status is not None],
        start=start,
        end=end,
        team=team.upper() if team is not None else None,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )

    async def count() -> int:
        conditions = [_day_condition(day, zone)]
        if team is not None:
            await require_team(connection, team)
            conditions.append(_team_condition(team))
        if status is not None:
            conditions.append(games.c.status == status)
        return await count_rows(connection, join_teams(select(games.c.id)).where(*conditions))

    check = partial(require_team, connection, team) if team is not None else None
    rows, total = await from_last_column(rows, count, page.offset, check)
    return PageOf(items=rows, total=total)


async def list_games(
    connection: AsyncConnection,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None = None,
    status: str | None = None,
) -> PageOf[Row]:
    """The games of one day by tip-off, with both teams; 404 for an unknown team."""
    result = await _games_rows(connection, page, day=day, zone=zone, team=team, status=status)
    return PageOf(items=[game_at(row) for row in result.items], total=result.total)


async def games_page_json(
    connection: AsyncConnection,
    page: PageParams,
    *,
    day: date,
    zone: ZoneInfo,
    team: str | None = None,
    status: str | None = None,
) -> bytes:
    """`list_games` as the JSON of `Page[GameRead]`, written from the rows (`league_json`)."""
    result = await _games_rows(connection, page, day=day, zone=zone, team=team, status=status)
    return page_json([game_at(row) for row in result.items], result.total, page)


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
