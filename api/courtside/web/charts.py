"""Server-rendered SVG charts (no JavaScript, no library): cumulative profit, odds movement.

`profit_chart(points)` and `odds_chart(snapshots)` return geometry; the templates
`_profit_chart.html` and `_odds_chart.html` draw it. Time axes get "nice" ticks (days,
weeks or months, whichever gives a handful); every other tick is marked minor so a phone
(where the chart is narrow and its text is drawn larger, see app.css) shows half of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from courtside.models import OddsSnapshot
from courtside.odds import implied_probability, is_valid_american
from courtside.services.betting import ProfitPoint, format_units

WIDTH = 640
HEIGHT = 240
PAD_LEFT = 64
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 32
TARGET_TICKS = 5


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    minor: bool = False


@dataclass(frozen=True)
class ProfitChart:
    width: int
    height: int
    line: str
    """`x,y x,y ...` for an SVG polyline: a step line, one step per settlement instant."""
    area: str
    """The polygon between the line and the zero line."""
    zero_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    final_cents: int
    plot_left: int
    plot_right: int
    points: int
    """Settled bets drawn."""
    steps: int
    """Distinct instants at which bets settled (bets settled together make one step)."""

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


def _steps(points: Sequence[ProfitPoint]) -> list[tuple[datetime, int]]:
    """The cumulative profit after each instant (bets settled together: one value)."""
    by_instant: dict[datetime, int] = {}
    for point in points:
        by_instant[point.at] = point.cumulative_cents  # the last of an instant holds its total
    return sorted(by_instant.items())


def time_ticks(start: datetime, end: datetime, zone: ZoneInfo, x_of: object) -> list[Tick]:
    """Ticks at local midnights: every n days, weeks (Mondays) or months (the 1st)."""
    assert callable(x_of)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    span = (last - first).days
    days: list[date]
    if span <= 0:
        return [Tick(float(x_of(start)), start.astimezone(zone).strftime("%b %-d"))]
    if span <= 14:
        every = max(1, math.ceil(span / TARGET_TICKS))
        days = [first + timedelta(days=n) for n in range(1, span + 1, every)]
        label = "%b %-d"
    elif span <= 120:
        monday = first + timedelta(days=(7 - first.weekday()) % 7 or 7)
        weeks = max(1, math.ceil(span / 7 / TARGET_TICKS))
        days = []
        while monday <= last:
            days.append(monday)
            monday += timedelta(weeks=weeks)
        label = "%b %-d"
    else:
        months = max(1, math.ceil(span / 30 / TARGET_TICKS))
        year, month = first.year, first.month
        days = []
        while True:
            month += months
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            day = date(year, month, 1)
            if day > last:
                break
            days.append(day)
        label = "%b %Y"
    ticks = []
    for index, day in enumerate(days):
        moment = datetime.combine(day, time.min, tzinfo=zone)
        if moment < start or moment > end:
            continue
        ticks.append(Tick(float(x_of(moment)), day.strftime(label), minor=index % 2 == 1))
    return ticks


def profit_chart(points: Sequence[ProfitPoint], zone: ZoneInfo) -> ProfitChart | None:
    """The chart geometry, or None when nothing is settled yet."""
    if not points:
        return None
    steps = _steps(points)
    values = [0, *(cents for _, cents in steps)]
    times = [steps[0][0], *(at for at, _ in steps)]
    step = _nice_step(max(max(values) - min(values), 100))
    low: float = math.floor(min(values) / step) * step
    high: float = math.ceil(max(values) / step) * step
    if high == low:
        high = low + step

    start, end = times[0], times[-1]
    duration = max((end - start).total_seconds(), 1.0)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(moment: datetime) -> float:
        if end == start:  # everything settled at one instant: one step across the plot
            return PAD_LEFT if moment < start else PAD_LEFT + plot_w
        return PAD_LEFT + plot_w * (moment - start).total_seconds() / duration

    def y_of(cents: float) -> float:
        return PAD_TOP + plot_h * (high - cents) / (high - low)

    corners = [(PAD_LEFT, y_of(0))] + [(x_of(at), y_of(cents)) for at, cents in steps]
    if end == start:
        corners[1] = (PAD_LEFT + plot_w, corners[1][1])
    coords = [corners[0]]
    for (x, y), (_, previous_y) in zip(corners[1:], corners, strict=False):
        coords += [(x, previous_y), (x, y)]  # a step: flat until bets settle, then a jump
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    zero_y = y_of(0)
    area = f"{coords[0][0]:.1f},{zero_y:.1f} {line} {coords[-1][0]:.1f},{zero_y:.1f}"

    y_ticks = []
    tick: float = low
    while tick <= high + step / 2:
        y_ticks.append(Tick(y_of(tick), format_units(int(tick)).split(".")[0]))
        tick += step
    return ProfitChart(
        width=WIDTH,
        height=HEIGHT,
        line=line,
        area=area,
        zero_y=zero_y,
        y_ticks=y_ticks,
        x_ticks=time_ticks(start, end, zone, x_of),
        final_cents=values[-1],
        plot_left=PAD_LEFT,
        plot_right=PAD_LEFT + plot_w,
        points=len(points),
        steps=len(steps),
    )


# --- odds movement ---------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    bookmaker: str
    line: str
    last_pct: float
    css: str


@dataclass(frozen=True)
class OddsChart:
    width: int
    height: int
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot_left: int
    plot_right: int
    snapshots: int
    home: str


def odds_chart(snapshots: Sequence[OddsSnapshot], zone: ZoneInfo, *, home: str) -> OddsChart | None:
    """The implied home-win probability of each bookmaker's line over time, or None when
    there are fewer than two snapshots (nothing moved yet)."""
    usable = [s for s in snapshots if s.home_odds is not None and is_valid_american(s.home_odds)]
    if len(usable) < 2:
        return None
    values = [100 * implied_probability(s.home_odds) for s in usable]
    step = _nice_step(max(max(values) - min(values), 4.0))
    low = math.floor(min(values) / step) * step
    high = math.ceil(max(values) / step) * step
    if high == low:
        high = low + step
    start = min(s.recorded_at for s in usable)
    end = max(s.recorded_at for s in usable)
    duration = max((end - start).total_seconds(), 1.0)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x_of(moment: datetime) -> float:
        return PAD_LEFT + plot_w * (moment - start).total_seconds() / duration

    def y_of(pct: float) -> float:
        return PAD_TOP + plot_h * (high - pct) / (high - low)

    by_book: dict[str, list[tuple[datetime, float]]] = {}
    for snapshot, pct in zip(usable, values, strict=True):
        by_book.setdefault(snapshot.bookmaker, []).append((snapshot.recorded_at, pct))
    series = [
        Series(
            bookmaker=book,
            line=" ".join(f"{x_of(at):.1f},{y_of(pct):.1f}" for at, pct in sorted(points)),
            last_pct=sorted(points)[-1][1],
            css=f"series-{index % 6}",
        )
        for index, (book, points) in enumerate(sorted(by_book.items()))
    ]
    y_ticks = []
    tick = low
    while tick <= high + step / 2:
        y_ticks.append(Tick(y_of(tick), f"{tick:.0f}%"))
        tick += step
    return OddsChart(
        width=WIDTH,
        height=HEIGHT,
        series=series,
        y_ticks=y_ticks,
        x_ticks=time_ticks(start, end, zone, x_of),
        plot_left=PAD_LEFT,
        plot_right=PAD_LEFT + plot_w,
        snapshots=len(usable),
        home=home,
    )
