"""Odds movement: the latest line, and windowed averages and deviations of the snapshots.

Everything is aggregated in SQL, in one statement. On PostgreSQL the averages and deviations
are its own `avg` and `stddev_pop`, per bookmaker and over all of them in one pass
(`GROUP BY ROLLUP`). SQLite has no `stddev` and no `ROLLUP`: there the deviation is computed
as `avg((x - mean)²)` with the mean from a window function over the same rows (two-pass,
numerically stable, unlike `avg(x²) - avg(x)²`); only the final square root is taken in
Python, because SQLite's `sqrt` exists only when it was compiled with the math functions.
The deviation is the *population* standard deviation (divide by n): a window with one
snapshot has deviation 0, not an undefined value.

Everything is as of the server's clock: `24h` is `(now - 24 h, now]`, `7d` is
`(now - 7 d, now]`, and `latest` is the newest snapshot at or before now. A snapshot stamped
in the future (a pipeline clock ahead of ours) counts once its time has come.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from courtside.domain_errors import NotFound
from courtside.models import tables
from courtside.models.base import utcnow
from courtside.schemas.odds_movement import OddsAggregate, OddsAggregateType, OddsMovementRead

WINDOWS: dict[OddsAggregateType, timedelta] = {
    OddsAggregateType.AVERAGE_24H: timedelta(hours=24),
    OddsAggregateType.DEVIATION_24H: timedelta(hours=24),
    OddsAggregateType.AVERAGE_7D: timedelta(days=7),
    OddsAggregateType.DEVIATION_7D: timedelta(days=7),
}
DEVIATIONS = {OddsAggregateType.DEVIATION_24H, OddsAggregateType.DEVIATION_7D}
VALUES = ("home_odds", "away_odds", "home_probability", "away_probability")
ODDS_DIGITS = 4
PROBABILITY_DIGITS = 6


def implied_probability_sql(odds: Any) -> ColumnElement[float]:
    """`courtside.odds.implied_probability` in SQL: |o|/(|o|+100) when o < 0, else 100/(o+100)."""
    as_float = cast(odds, Float)
    return case(
        (odds < 0, -as_float / (literal(100.0, Float) - as_float)),
        else_=literal(100.0, Float) / (as_float + literal(100.0, Float)),
    )


async def odds_movement(
    connection: AsyncConnection,
    game_id: int,
    kind: OddsAggregateType,
    *,
    now: datetime | None = None,
) -> OddsMovementRead:
    """The requested statistic per bookmaker and overall; 404 for an unknown game. One
    statement: the game's row is the base of the query, so "no such game" is no row."""
    end = now or utcnow()
    if kind is OddsAggregateType.LATEST:
        found = await _latest(connection, game_id, end=end)
        start = None
    else:
        start = end - WINDOWS[kind]
        deviation = kind in DEVIATIONS
        if connection.dialect.name == "postgresql":
            found = await _windowed_postgres(
                connection, game_id, start=start, end=end, deviation=deviation
            )
        else:
            found = await _windowed(connection, game_id, start=start, end=end, deviation=deviation)
    if found is None:
        raise NotFound("game", game_id)
    overall, bookmakers = found
    return OddsMovementRead(
        game_id=game_id,
        type=kind,
        window_start=start,
        window_end=end,
        overall=overall,
        bookmakers=bookmakers,
    )


Found = tuple[OddsAggregate, list[OddsAggregate]] | None
"""The overall statistic and each bookmaker's, or None for an unknown game."""


def _rounded(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    digits = PROBABILITY_DIGITS if name.endswith("probability") else ODDS_DIGITS
    return round(float(value), digits)


def _aggregate(
    bookmaker: str | None,
    snapshots: int,
    values: Sequence[float | None],
    recorded_at: datetime | None = None,
) -> OddsAggregate:
    fields = {name: _rounded(name, value) for name, value in zip(VALUES, values, strict=True)}
    return OddsAggregate(
        bookmaker=bookmaker, snapshots=snapshots, recorded_at=recorded_at, **fields
    )


def _empty() -> OddsAggregate:
    return _aggregate(None, 0, [None] * len(VALUES))


def _values(snapshot: Any) -> dict[str, ColumnElement[float]]:
    return {
        "home_odds": cast(snapshot.home_odds, Float),
        "away_odds": cast(snapshot.away_odds, Float),
        "home_probability": implied_probability_sql(snapshot.home_odds),
        "away_probability": implied_probability_sql(snapshot.away_odds),
    }


async def _windowed_postgres(
    connection: AsyncConnection, game_id: int, *, start: datetime, end: datetime, deviation: bool
) -> Found:
    """PostgreSQL's own aggregates (`avg`, `stddev_pop`) per bookmaker and, by `ROLLUP`, over
    all of them, in one pass. The game is the base of the join: an unknown game yields no
    group at all, a game without snapshots one total row with count 0."""
    games, snapshot = tables.games, tables.odds_snapshots
    aggregate = func.stddev_pop if deviation else func.avg
    grouping = func.grouping(snapshot.c.bookmaker).label("is_total")
    query = (
        select(
            snapshot.c.bookmaker,
            grouping,
            func.count(snapshot.c.id).label("snapshots"),
            *(aggregate(value).label(name) for name, value in _values(snapshot.c).items()),
        )
        .select_from(
            games.outerjoin(
                snapshot,
                and_(
                    snapshot.c.game_id == games.c.id,
                    snapshot.c.recorded_at > start,
                    snapshot.c.recorded_at <= end,
                ),
            )
        )
        .where(games.c.id == game_id)
        .group_by(games.c.id, func.rollup(snapshot.c.bookmaker))
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return None
    total = _empty()
    bookmakers: list[OddsAggregate] = []
    for bookmaker, is_total, count, *stats in rows:
        aggregate_row = _aggregate(bookmaker, int(count), [_number(v) for v in stats])
        if is_total:
            total = aggregate_row
        elif count:
            bookmakers.append(aggregate_row)
    bookmakers.sort(key=lambda item: item.bookmaker or "")
    return total, bookmakers


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


async def _windowed(
    connection: AsyncConnection,
    game_id: int,
    *,
    start: datetime,
    end: datetime,
    deviation: bool,
) -> Found:
    """The portable form (SQLite): means from window functions, the deviation in two passes
    (see the module docstring); the overall row comes from the game's row, so an unknown
    game has none."""
    snapshot = tables.odds_snapshots.c
    values = _values(snapshot)
    columns: list[Any] = [snapshot.bookmaker]
    for name, expression in values.items():
        columns.append(expression.label(name))
        columns.append(
            func.avg(expression).over(partition_by=snapshot.bookmaker).label(f"{name}_b")
        )
        columns.append(func.avg(expression).over().label(f"{name}_all"))
    windowed = (
        select(*columns)
        .where(
            snapshot.game_id == game_id,
            snapshot.recorded_at > start,
            snapshot.recorded_at <= end,
        )
        .cte("windowed")
    )

    def statistic(name: str, mean_suffix: str) -> ColumnElement[Any]:
        value = windowed.c[name]
        if not deviation:
            return func.avg(value)
        spread = value - windowed.c[f"{name}{mean_suffix}"]
        return func.avg(spread * spread)

    per_bookmaker = select(
        windowed.c.bookmaker,
        func.count().label("snapshots"),
        *(statistic(name, "_b").label(name) for name in VALUES),
    ).group_by(windowed.c.bookmaker)
    overall = (
        select(
            null().label("bookmaker"),
            func.count(windowed.c.bookmaker).label("snapshots"),
            *(statistic(name, "_all").label(name) for name in VALUES),
        )
        .select_from(tables.games.outerjoin(windowed, literal(True)))
        .where(tables.games.c.id == game_id)
        .group_by(tables.games.c.id)
    )
    rows = (await connection.execute(union_all(per_bookmaker, overall))).all()
    if not any(bookmaker is None for bookmaker, *_ in rows):
        return None
    total = _empty()
    bookmakers: list[OddsAggregate] = []
    for bookmaker, count, *stats in rows:
        finished = [_finish(value, deviation) for value in stats]
        aggregate = _aggregate(bookmaker, int(count), finished)
        if bookmaker is None:
            total = aggregate
        else:
            bookmakers.append(aggregate)
    bookmakers.sort(key=lambda item: item.bookmaker or "")
    return total, bookmakers


def _finish(value: Any, deviation: bool) -> float | None:
    """Mean as is; for deviations, the square root of the variance (clamped at 0)."""
    if value is None:
        return None
    number = float(value)
    return math.sqrt(max(number, 0.0)) if deviation else number


async def _latest(connection: AsyncConnection, game_id: int, *, end: datetime) -> Found:
    """Each bookmaker's newest snapshot at or before `end`, with how many it has, joined to
    the game's row (no row: an unknown game; one row without a bookmaker: no snapshot)."""
    games, snapshot = tables.games, tables.odds_snapshots
    ranked = (
        select(
            snapshot.c.game_id,
            snapshot.c.bookmaker,
            snapshot.c.home_odds,
            snapshot.c.away_odds,
            snapshot.c.recorded_at,
            func.count().over(partition_by=snapshot.c.bookmaker).label("snapshots"),
            func.row_number()
            .over(partition_by=snapshot.c.bookmaker, order_by=snapshot.c.recorded_at.desc())
            .label("rank"),
        )
        .where(snapshot.c.game_id == game_id, snapshot.c.recorded_at <= end)
        .subquery("ranked")
    )
    query = (
        select(
            ranked.c.bookmaker,
            ranked.c.snapshots,
            ranked.c.home_odds,
            ranked.c.away_odds,
            implied_probability_sql(ranked.c.home_odds),
            implied_probability_sql(ranked.c.away_odds),
            ranked.c.recorded_at,
        )
        .select_from(
            games.outerjoin(ranked, and_(ranked.c.game_id == games.c.id, ranked.c.rank == 1))
        )
        .where(games.c.id == game_id)
        .order_by(ranked.c.bookmaker)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return None
    bookmakers = [
        _aggregate(bookmaker, int(count), [home, away, home_p, away_p], recorded_at)
        for bookmaker, count, home, away, home_p, away_p, recorded_at in rows
        if bookmaker is not None
    ]
    if not bookmakers:
        return _empty(), []
    newest = max(bookmakers, key=lambda item: (item.recorded_at, item.bookmaker or ""))
    overall = newest.model_copy(update={"snapshots": sum(item.snapshots for item in bookmakers)})
    return overall, bookmakers
