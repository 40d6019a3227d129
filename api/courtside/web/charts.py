"""A server-rendered SVG line chart of cumulative profit (no JavaScript, no library).

`profit_chart(points)` returns the geometry; `templates/_profit_chart.html` draws it. The x
axis is time (each settled bet at its settlement time), the y axis units of profit, with
a zero line and a few rounded ticks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from courtside.services.betting import ProfitPoint, format_units

WIDTH = 640
HEIGHT = 240
PAD_LEFT = 64
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 32


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class ProfitChart:
    width: int
    height: int
    line: str
    """`x,y x,y ...` for an SVG polyline: a step line, one step per settled bet."""
    area: str
    """The polygon between the line and the zero line."""
    zero_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    final_cents: int
    plot_left: int
    plot_right: int
    points: int

    @property
    def final_label(self) -> str:
        sign = "+" if self.final_cents > 0 else ""
        return f"{sign}{format_units(self.final_cents)}"

    @property
    def positive(self) -> bool:
        return self.final_cents >= 0


def _nice_step(span: float, target_ticks: int = 4) -> float:
    raw = span / target_ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def profit_chart(points: Sequence[ProfitPoint], zone: ZoneInfo) -> ProfitChart | None:
    """The chart geometry, or None when nothing is settled yet."""
    if not points:
        return None
    values = [0, *(p.cumulative_cents for p in points)]
    times = [points[0].at, *(p.at for p in points)]
    step = _nice_step(max(max(values) - min(values), 100))
    low: float = math.floor(min(values) / step) * step
    high: float = math.ceil(max(values) / step) * step
    if high == low:
        high = low + step

    start, end = times[0].timestamp(), times[-1].timestamp()
    duration = max(end - start, 1.0)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(moment: datetime, index: int) -> float:
        if end == start:  # everything settled at one moment: spread evenly
            return PAD_LEFT + plot_w * index / max(len(times) - 1, 1)
        return PAD_LEFT + plot_w * (moment.timestamp() - start) / duration

    def y_of(cents: float) -> float:
        return PAD_TOP + plot_h * (high - cents) / (high - low)

    corners = [(x_of(t, i), y_of(v)) for i, (t, v) in enumerate(zip(times, values, strict=True))]
    coords = [corners[0]]
    for (x, y), (_, previous_y) in zip(corners[1:], corners, strict=False):
        coords += [(x, previous_y), (x, y)]  # a step: flat until a bet settles, then a jump
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    zero_y = y_of(0)
    area = f"{coords[0][0]:.1f},{zero_y:.1f} {line} {coords[-1][0]:.1f},{zero_y:.1f}"

    y_ticks = []
    tick: float = low
    while tick <= high + step / 2:
        y_ticks.append(Tick(y_of(tick), format_units(int(tick)).split(".")[0]))
        tick += step
    first_day = times[0].astimezone(zone)
    last_day = times[-1].astimezone(zone)
    x_ticks = [Tick(PAD_LEFT, first_day.strftime("%b %-d, %Y"))]
    if last_day.date() != first_day.date():
        x_ticks.append(Tick(PAD_LEFT + plot_w, last_day.strftime("%b %-d, %Y")))
    return ProfitChart(
        width=WIDTH,
        height=HEIGHT,
        line=line,
        area=area,
        zero_y=zero_y,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        final_cents=values[-1],
        plot_left=PAD_LEFT,
        plot_right=PAD_LEFT + plot_w,
        points=len(points),
    )
