"""The analytics' charts, laid out like `web.charts` (page pixels, text never scaled, values
on demand): the running closing line value beside the profit chart, and the calibration
chart of the track record (forecast decile against observed rate, model and market).

`web.analytics_html` draws the first (the record page), `_calibration_chart.html` the second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from courtside.services.analytics import SeriesPoint
from courtside.services.track_record import Bin
from courtside.web.charts import (
    HEIGHT,
    LINE_WIDTH,
    PAD_TOP,
    PLOT_HEIGHT,
    Point,
    Tick,
    _line,
    _marked,
    _moment,
    _nice_step,
    _value_ticks,
    time_ticks,
)


def points_label(value: float) -> str:
    """A CLV in percentage points: `+2.9 pts`."""
    return f"{100 * value:+.1f} pts"


@dataclass(frozen=True)
class ClvChart:
    height: int
    plot_top: int
    plot_height: int
    line_width: int
    line: str
    zero_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    marks: list[Point]
    final: float
    points: int

    @property
    def final_label(self) -> str:
        return points_label(self.final)

    @property
    def positive(self) -> bool:
        return self.final >= 0


def clv_chart(series: Sequence[SeriesPoint], zone: ZoneInfo) -> ClvChart | None:
    """The running average CLV after each decided bet that has one, or None before any."""
    values = [(p.at, p.running_clv) for p in series if p.running_clv is not None]
    if not values:
        return None
    pts = [100 * value for _, value in values]
    span = [*pts, 0.0]  # the zero line is always in view
    step = _nice_step(max(max(span) - min(span), 2.0))
    low = math.floor(min(span) / step) * step
    high = math.ceil(max(span) / step) * step
    if high == low:
        high = low + step
    start, end = values[0][0], values[-1][0]
    duration = max((end - start).total_seconds(), 1.0)

    def x_of(moment: datetime) -> float:
        return 0.5 if end == start else (moment - start).total_seconds() / duration

    def y_of(value: float) -> float:
        return PAD_TOP + PLOT_HEIGHT * (high - value) / (high - low)

    coords = [(x_of(at), y_of(value)) for (at, _), value in zip(values, pts, strict=True)]
    if len(coords) == 1:
        coords = [(0.0, coords[0][1]), (1.0, coords[0][1])]
    marks = []
    for index in _marked(len(values)):
        at, raw = values[index]
        label = points_label(raw)
        marks.append(
            Point(
                x_of(at),
                y_of(pts[index]),
                label,
                f"{_moment(at, zone)}: average CLV {label}",
            )
        )
    return ClvChart(
        height=HEIGHT,
        plot_top=PAD_TOP,
        plot_height=PLOT_HEIGHT,
        line_width=LINE_WIDTH,
        line=_line(coords),
        zero_y=y_of(0),
        y_ticks=_value_ticks(low, high, step, y_of, lambda t: f"{t:+.0f}" if t else "0"),
        x_ticks=time_ticks(start, end, zone, x_of),
        marks=marks,
        final=values[-1][1],
        points=len(values),
    )


@dataclass(frozen=True)
class CalibrationSeries:
    name: str
    css: str
    line: str
    marks: list[Point]


@dataclass(frozen=True)
class CalibrationChart:
    height: int
    plot_top: int
    plot_height: int
    line_width: int
    diagonal: str
    """Perfect calibration: observed rate = forecast."""
    series: list[CalibrationSeries]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def calibration_chart(model: Sequence[Bin], market: Sequence[Bin]) -> CalibrationChart | None:
    """Observed home-win rate against the mean forecast of each non-empty decile (both axes
    0-100 %), for the model and the market; None when no decile has a game."""
    if not any(b.games for b in [*model, *market]):
        return None

    def y_of(pct: float) -> float:
        return PAD_TOP + PLOT_HEIGHT * (100 - pct) / 100

    series = []
    for name, css, bins in (("Model", "series-0", model), ("Market", "series-1", market)):
        filled = [b for b in bins if b.games and b.mean_forecast is not None]
        coords = [(b.mean_forecast or 0.0, y_of(100 * (b.observed_rate or 0.0))) for b in filled]
        marks = [
            Point(
                x,
                y,
                f"{100 * (b.observed_rate or 0.0):.0f}%",
                f"{name}: forecasts {100 * b.low:.0f}-{100 * b.high:.0f}% "
                f"(mean {100 * (b.mean_forecast or 0.0):.1f}%), home won "
                f"{100 * (b.observed_rate or 0.0):.1f}% of {b.games} games",
            )
            for b, (x, y) in zip(filled, coords, strict=True)
        ]
        series.append(CalibrationSeries(name, css, _line(coords), marks))
    return CalibrationChart(
        height=HEIGHT,
        plot_top=PAD_TOP,
        plot_height=PLOT_HEIGHT,
        line_width=LINE_WIDTH,
        diagonal=_line([(0.0, y_of(0)), (1.0, y_of(100))]),
        series=series,
        y_ticks=_value_ticks(0, 100, 25, y_of, lambda t: f"{t:.0f}%"),
        x_ticks=[
            Tick(fraction / 100, f"{fraction}%", minor=fraction in (25, 75))
            for fraction in (0, 25, 50, 75, 100)
        ],
    )
