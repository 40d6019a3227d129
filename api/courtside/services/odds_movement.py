"""Odds movement: the latest line, and windowed averages and deviations of the snapshots.

Everything is aggregated in SQL that runs unchanged on PostgreSQL and SQLite. SQLite has no
`stddev`, so the deviation is computed as `avg((x - mean)²)` with the mean from a window
function over the same rows (two-pass, numerically stable, unlike `avg(x²) - avg(x)²`); only
the final square root is taken in Python, because SQLite's `sqrt` exists only when it was
compiled with the math functions. The deviation is the *population* standard deviation
(divide by n): a window with one snapshot has deviation 0, not an undefined value.

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
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from courtside.errors import NotFound
from courtside.models import Game, OddsSnapshot, utcnow
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
    session: AsyncSession,
    game_id: int,
    kind: OddsAggregateType,
    *,
    now: datetime | None = None,
) -> OddsMovementRead:
    """The requested statistic per bookmaker and overall; 404 for an unknown game."""
    if await session.scalar(select(Game.id).where(Game.id == game_id)) is None:
        raise NotFound("game", game_id)
    end = now or utcnow()
    if kind is OddsAggregateType.LATEST:
        overall, bookmakers = await _latest(session, game_id, end=end)
        return OddsMovementRead(
            game_id=game_id,
            type=kind,
            window_start=None,
            window_end=end,
            overall=overall,
            bookmakers=bookmakers,
        )
    start = end - WINDOWS[kind]
    overall, bookmakers = await _windowed(
        session, game_id, start=start, end=end, deviation=kind in DEVIATIONS
    )
    return OddsMovementRead(
        game_id=game_id,
        type=kind,
        window_start=start,
        window_end=end,
        overall=overall,
        bookmakers=bookmakers,
    )


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


async def _windowed(
    session: AsyncSession, game_id: int, *, start: datetime, end: datetime, deviation: bool
) -> tuple[OddsAggregate, list[OddsAggregate]]:
    snapshot = OddsSnapshot
    values = {
        "home_odds": cast(snapshot.home_odds, Float),
        "away_odds": cast(snapshot.away_odds, Float),
        "home_probability": implied_probability_sql(snapshot.home_odds),
        "away_probability": implied_probability_sql(snapshot.away_odds),
    }
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
    overall = select(
        null().label("bookmaker"),
        func.count().label("snapshots"),
        *(statistic(name, "_all").label(name) for name in VALUES),
    )
    rows = (await session.execute(union_all(per_bookmaker, overall))).all()
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


async def _latest(
    session: AsyncSession, game_id: int, *, end: datetime
) -> tuple[OddsAggregate, list[OddsAggregate]]:
    snapshot = OddsSnapshot
    per_bookmaker = (
        select(
            snapshot.bookmaker,
            func.max(snapshot.recorded_at).label("recorded_at"),
            func.count().label("snapshots"),
        )
        .where(snapshot.game_id == game_id, snapshot.recorded_at <= end)
        .group_by(snapshot.bookmaker)
        .subquery()
    )
    rows = (
        await session.execute(
            select(
                snapshot.bookmaker,
                per_bookmaker.c.snapshots,
                snapshot.home_odds,
                snapshot.away_odds,
                implied_probability_sql(snapshot.home_odds),
                implied_probability_sql(snapshot.away_odds),
                snapshot.recorded_at,
            )
            .join(
                per_bookmaker,
                and_(
                    snapshot.bookmaker == per_bookmaker.c.bookmaker,
                    snapshot.recorded_at == per_bookmaker.c.recorded_at,
                ),
            )
            .where(snapshot.game_id == game_id)
            .order_by(snapshot.bookmaker)
        )
    ).all()
    bookmakers = [
        _aggregate(bookmaker, int(count), [home, away, home_p, away_p], recorded_at)
        for bookmaker, count, home, away, home_p, away_p, recorded_at in rows
    ]
    if not bookmakers:
        return _empty(), []
    newest = max(bookmakers, key=lambda item: (item.recorded_at, item.bookmaker or ""))
    overall = newest.model_copy(update={"snapshots": sum(item.snapshots for item in bookmakers)})
    return overall, bookmakers
