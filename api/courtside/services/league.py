"""Read-side queries of the public league API: one statement per request, plain rows.

Every function takes a read connection (`courtside.db.read`) and returns dicts shaped like the
response schemas (`courtside.schemas.league`), built from Core rows: no ORM objects, no
lazy loads, and joins instead of follow-up look-ups (a game comes with both teams, the day's
odds come with each game's latest lines). List totals come in the same statement: a window
count (`pagination.from_window`), or for the unfiltered player list the row count the
database keeps (a window over every player would read them all).
What costs a second statement only happens off the common path: an empty page (its total,
or the 404 of an unknown team).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, exists, func, literal, literal_column, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

if TYPE_CHECKING:
    pass

from courtside.errors import NotFound
from courtside.models import tables
from courtside.schemas.common import PageParams
from courtside.services.pagination import TOTAL, from_window, window_total
from courtside.services.pagination import PageOf as PageOf

Row = dict[str, Any]

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

PLAYER_NAME = func.lower(players.c.first_name + literal_column("' '") + players.c.last_name)
"""The searched name; exactly the expression of the trigram index (migration 0008)."""


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in the league's time zone."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def league_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


# --- shaping rows ---------------------------------------------------------------------------


TEAM_FIELDS = ("id", "abbreviation", "city", "name", "conference", "division")
TEAM_COLUMNS = tuple(teams.c[name] for name in TEAM_FIELDS)
"""What a team's response reads, first in every statement `_team` shapes (not `updated_at`:
selecting it would cost a column and a time-zone conversion per row for nothing)."""


def _team(row: Sequence[Any]) -> Row:
    """A team from a row whose first columns are `TEAM_COLUMNS` (by position: no key look-ups
    on the list endpoints' hot path)."""
    team = dict(zip(TEAM_FIELDS, row, strict=False))
    team["full_name"] = f"{team['city']} {team['name']}"
    return team


def _team_ref(row: RowMapping, prefix: str) -> Row | None:
    if row[f"{prefix}id"] is None:
        return None
    return {
        "id": row[f"{prefix}id"],
        "abbreviation": row[f"{prefix}abbreviation"],
        "full_name": f"{row[f'{prefix}city']} {row[f'{prefix}name']}",
    }


def _ref_columns(table: Any, prefix: str) -> list[Any]:
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


def _game(row: RowMapping) -> Row:
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
        "home_team": _team_ref(row, "home_"),
        "away_team": _team_ref(row, "away_"),
    }


def _games_with_teams(*extra: Any) -> Select[Any]:
    return select(*GAME_COLUMNS, *_ref_columns(home, "home_"), *_ref_columns(away, "away_"), *extra)


def _join_teams(query: Select[Any], source: Any = games) -> Select[Any]:
    return query.select_from(
        source.join(home, home.c.id == source.c.home_team_id).join(
            away, away.c.id == source.c.away_team_id
        )
    )


LINE_COLUMNS = ("bookmaker", "home_odds", "away_odds", "recorded_at")
PREDICTION_COLUMNS = ("model_version", "home_win_probability", "created_at")


def _latest_lines(game_ids: Any) -> Any:
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


def _latest_predictions(condition: Any) -> Any:
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


def _line(row: RowMapping) -> Row | None:
    if row["line_bookmaker"] is None:
        return None
    return {name: row[f"line_{name}"] for name in LINE_COLUMNS}


def _prediction(row: RowMapping) -> Row | None:
    if row["prediction_model_version"] is None:
        return None
    return {name: row[f"prediction_{name}"] for name in PREDICTION_COLUMNS}


async def _count(connection: AsyncConnection, query: Select[Any]) -> int:
    total = await connection.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)


async def _require_team(connection: AsyncConnection, abbreviation: str) -> None:
    found = await connection.scalar(
        select(exists().where(teams.c.abbreviation == abbreviation.upper()))
    )
    if not found:
        raise NotFound("team", abbreviation)


# --- teams and players ----------------------------------------------------------------------


async def list_teams(connection: AsyncConnection, page: PageParams) -> PageOf[Row]:
    query: Select[Any] = select(*TEAM_COLUMNS, window_total()).order_by(teams.c.abbreviation)
    result = await connection.execute(query.limit(page.limit).offset(page.offset))
    rows, total = await from_window(result.all(), lambda: _count(connection, select(teams.c.id)))
    return PageOf(items=[_team(row) for row in rows], total=total)


async def get_team(connection: AsyncConnection, abbreviation: str) -> Row:
    row = (
        await connection.execute(
            select(*TEAM_COLUMNS).where(teams.c.abbreviation == abbreviation.upper())
        )
    ).first()
    if row is None:
        raise NotFound("team", abbreviation)
    return _team(row)


def _players(*extra: Any) -> Select[Any]:
    return select(
        players.c.id,
        players.c.external_id,
        players.c.first_name,
        players.c.last_name,
        players.c.position,
        players.c.jersey,
        players.c.active,
        *_ref_columns(teams, "team_"),
        *extra,
    ).select_from(players.outerjoin(teams, teams.c.id == players.c.team_id))


def _player(row: RowMapping) -> Row:
    return {
        "id": row["id"],
        "external_id": row["external_id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "full_name": f"{row['first_name']} {row['last_name']}",
        "team": _team_ref(row, "team_"),
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

    async def count() -> int:
        if team is not None and not rows:
            await _require_team(connection, team)
        if not conditions:
            return int(await connection.scalar(select(_counted_players())) or 0)
        return await _count(connection, _players().where(*conditions))

    if total_column:
        rows, total = await from_window(rows, count)
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
    conditions = [_day_condition(day, zone)]
    if team is not None:
        conditions.append(_team_condition(team))
    if status is not None:
        conditions.append(games.c.status == status)
    query = _join_teams(_games_with_teams(window_total())).where(*conditions)
    ordered = query.order_by(games.c.start_time, games.c.id).limit(page.limit).offset(page.offset)
    result = await connection.execute(ordered)

    async def count() -> int:
        if team is not None:
            await _require_team(connection, team)
        return await _count(connection, _join_teams(select(games.c.id)).where(*conditions))

    rows, total = await from_window(result.all(), count)
    return PageOf(items=[_game(row._mapping) for row in rows], total=total)


def _with_latest_lines(game_rows: Any, order: Sequence[Any]) -> Select[Any]:
    """Each row of `game_rows` (a subquery of games) with each bookmaker's latest line."""
    latest = _latest_lines(select(game_rows.c.id))
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
        line = _line(mapping)
        if line is not None:
            grouped[-1][1].append(line)
    return grouped


async def get_game(connection: AsyncConnection, game_id: int) -> Row:
    """One game with each bookmaker's latest line and the latest prediction."""
    prediction = _latest_predictions(predictions.c.game_id == game_id)
    game_row = (
        _join_teams(
            _games_with_teams(
                *(prediction.c[name].label(f"prediction_{name}") for name in PREDICTION_COLUMNS)
            )
        )
        .outerjoin(prediction, and_(prediction.c.game_id == games.c.id, prediction.c.rank == 1))
        .where(games.c.id == game_id)
        .subquery("game")
    )
    rows = (await connection.execute(_with_latest_lines(game_row, [game_row.c.id]))).all()
    if not rows:
        raise NotFound("game", game_id)
    (row, lines), *_ = _group_lines(rows)
    return {**_game(row), "latest_odds": lines, "prediction": _prediction(row)}


async def list_odds(
    connection: AsyncConnection, page: PageParams, *, day: date, zone: ZoneInfo
) -> PageOf[Row]:
    """The day's games, each with every bookmaker's latest line."""
    condition = _day_condition(day, zone)
    game_rows = (
        _join_teams(_games_with_teams(window_total()))
        .where(condition)
        .order_by(games.c.start_time, games.c.id)
        .limit(page.limit)
        .offset(page.offset)
        .subquery("page")
    )
    query = _with_latest_lines(game_rows, [game_rows.c.start_time, game_rows.c.id])
    rows, total = await from_window(
        (await connection.execute(query)).all(),
        lambda: _count(connection, select(games.c.id).where(condition)),
    )
    return PageOf(
        items=[{"game": _game(row), "odds": lines} for row, lines in _group_lines(rows)],
        total=total,
    )


async def list_predictions(
    connection: AsyncConnection, page: PageParams, *, day: date, zone: ZoneInfo
) -> PageOf[Row]:
    """The day's games that have a prediction, each with its latest one."""
    condition = _day_condition(day, zone)
    in_day = select(games.c.id).where(condition)
    prediction = _latest_predictions(predictions.c.game_id.in_(in_day))
    query = (
        _join_teams(
            _games_with_teams(
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
        lambda: _count(connection, select(games.c.id).where(condition, has_prediction)),
    )
    return PageOf(
        items=[
            {"game": _game(row._mapping), "prediction": _prediction(row._mapping)} for row in rows
        ],
        total=total,
    )


# --- standings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeasonResults:
    """A season's teams and its final games (oldest first), for `standings.compute_standings`."""

    season: int | None
    teams: list[Row]
    finals: list[tuple[int, int, int, int]]
    """(home team id, away team id, home score, away score) of each final game."""


def _season_expression(requested: int | None, now: datetime) -> Any:
    """The requested season, or the season of the latest game that has started, or the first
    season scheduled."""
    started = (
        select(games.c.season)
        .where(games.c.start_time <= now)
        .order_by(games.c.start_time.desc())
        .limit(1)
        .scalar_subquery()
    )
    if requested is not None:
        return literal(requested, Integer)
    return func.coalesce(started, select(func.min(games.c.season)).scalar_subquery())


Executor = AsyncConnection | AsyncSession
"""A read connection (the public API) or a session (pages, inside their unit of work)."""


async def current_season(executor: Executor, *, now: datetime | None = None) -> int | None:
    """The season of the most recent game that has started (or the first one scheduled)."""
    season = await executor.scalar(select(_season_expression(None, now or datetime.now(UTC))))
    return None if season is None else int(season)


async def season_results(
    connection: Executor, season: int | None, *, now: datetime | None = None
) -> SeasonResults:
    """Every team with the resolved season (one statement), then that season's finals."""
    resolved = _season_expression(season, now or datetime.now(UTC)).label("season")
    rows = (
        await connection.execute(select(*TEAM_COLUMNS, resolved).order_by(teams.c.abbreviation))
    ).all()
    if not rows:  # no teams yet
        return SeasonResults(season=season, teams=[], finals=[])
    resolved_season = rows[0][-1]
    if resolved_season is None:
        return SeasonResults(season=None, teams=[], finals=[])
    finals = await connection.execute(
        select(games.c.home_team_id, games.c.away_team_id, games.c.home_score, games.c.away_score)
        .where(games.c.season == resolved_season, games.c.status == "final")
        .order_by(games.c.start_time, games.c.id)
    )
    return SeasonResults(
        season=int(resolved_season),
        teams=[_team(row) for row in rows],
        finals=[(h, a, hs or 0, aws or 0) for h, a, hs, aws in finals],
    )
