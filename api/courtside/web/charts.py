"""Server-rendered SVG charts (no JavaScript, no library): cumulative profit, odds movement.

`profit_chart(points)` and `odds_chart(snapshots)` return geometry; `web.analytics_html`
and the template `_odds_chart.html` draw it.

**Text is never scaled.** A chart drawn in a fixed viewBox and scaled to the page shrinks
its text with it: on a 360 px phone a 640-unit-wide chart drew its labels at about 8 px.
So the charts are laid out in the page's own pixels: the plot has a fixed height and takes
the width it is given, every horizontal position is a *fraction* of that width (drawn as a
percentage), and only the lines sit in a stretched inner `<svg>` (`LINE_WIDTH` units wide,
`preserveAspectRatio="none"`, non-scaling strokes). Labels keep their CSS size (13 px)
at any width. The labels at either end are anchored inward so none is clipped.

**Values on demand.** Each point is a focusable group with a `<title>` (the hover tooltip)
and a value label that CSS shows on hover, focus or tap; no script involved. At most
`MAX_POINTS` per line are marked (evenly spread, always the last), so a long history does
not become hundreds of tab stops.

Time axes get "nice" ticks (days, weeks or months, whichever gives a handful); every other
tick is marked minor so a phone shows half of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from courtside.odds import format_american, format_units, implied_probability, is_valid_american
from courtside.services.bet_record import ProfitPoint
from courtside.services.markets import Quote

HEIGHT = 240
PAD_TOP = 16
PAD_BOTTOM = 36
PLOT_HEIGHT = HEIGHT - PAD_TOP - PAD_BOTTOM
LINE_WIDTH = 1000
"""The inner line drawing's width in viewBox units (stretched to the plot's width)."""
TARGET_TICKS = 5
MAX_POINTS = 40
EDGE = 0.12
"""Within this fraction of either end, a label is anchored inward (never clipped)."""


@dataclass(frozen=True)
class Tick:
    position: float
    """x: a fraction of the plot's width (0-1); y: pixels from the chart's top."""
    label: str
    minor: bool = False

    @property
    def anchor(self) -> str:
        return _anchor(self.position)

    @property
    def pct(self) -> str:
        return _pct(self.position)


@dataclass(frozen=True)
class Point:
    """A marked data point: `x` a fraction of the width, `y` pixels from the top."""

    x: float
    y: float
    value: str
    title: str

    @property
    def anchor(self) -> str:
        return _anchor(self.x)

    @property
    def pct(self) -> str:
        return _pct(self.x)


def _anchor(fraction: float) -> str:
    if fraction < EDGE:
        return "start"
    if fraction > 1 - EDGE:
        return "end"
    return "middle"


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def _line(coords: Sequence[tuple[float, float]]) -> str:
    """`x,y ...` in the inner drawing's units: x in 0-LINE_WIDTH, y in 0-PLOT_HEIGHT."""
    return " ".join(f"{LINE_WIDTH * x:.1f},{y - PAD_TOP:.1f}" for x, y in coords)


def _marked(count: int) -> list[int]:
    """Which of `count` points to mark: all, or `MAX_POINTS` spread evenly with the last."""
    if count <= MAX_POINTS:
        return list(range(count))
    step = (count - 1) / (MAX_POINTS - 1)
    return sorted({round(i * step) for i in range(MAX_POINTS)})


@dataclass(frozen=True)
class ProfitChart:
    height: int
    plot_top: int
    plot_height: int
    line_width: int
    line: str
    """`x,y x,y ...` for an SVG polyline: a step line, one step per settlement instant."""
    area: str
    """The polygon between the line and the zero line."""
    zero_y: float
    """The zero line, in pixels from the chart's top."""
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    marks: list[Point]
    final_cents: int
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


def time_ticks(
    start: datetime, end: datetime, zone: ZoneInfo, x_of: Callable[[datetime], float]
) -> list[Tick]:
    """Ticks at local midnights: every n days, weeks (Mondays) or months (the 1st)."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    span = (last - first).days
    days: list[date]
    if span <= 0:
        return [Tick(x_of(start), start.astimezone(zone).strftime("%b %-d"))]
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
        ticks.append(Tick(x_of(moment), day.strftime(label), minor=index % 2 == 1))
    return ticks


def _moment(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return local.strftime("%b %-d, %Y, %-I:%M %p ") + (local.tzname() or "")


def _value_ticks(
    low: float,
    high: float,
    step: float,
    y_of: Callable[[float], float],
    label: Callable[[float], str],
) -> list[Tick]:
    ticks = []
    tick = low
    while tick <= high + step / 2:
        ticks.append(Tick(y_of(tick), label(tick)))
        tick += step
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

    def x_of(moment: datetime) -> float:
        if end == start:  # everything settled at one instant: one step across the plot
            return 0.0 if moment < start else 1.0
        return (moment - start).total_seconds() / duration

    def y_of(cents: float) -> float:
        return PAD_TOP + PLOT_HEIGHT * (high - cents) / (high - low)

    corners = [(0.0, y_of(0))] + [(x_of(at), y_of(cents)) for at, cents in steps]
    if end == start:
        corners[1] = (1.0, corners[1][1])
    coords = [corners[0]]
    for (x, y), (_, previous_y) in zip(corners[1:], corners, strict=False):
        coords += [(x, previous_y), (x, y)]  # a step: flat until bets settle, then a jump
    line = _line(coords)
    zero = y_of(0) - PAD_TOP
    area = f"0,{zero:.1f} {line} {LINE_WIDTH * coords[-1][0]:.1f},{zero:.1f}"
    marks = []
    for index in _marked(len(steps)):
        at, cents = steps[index]
        value = ("+" if cents > 0 else "") + format_units(cents)
        x, y = corners[index + 1]
        marks.append(Point(x, y, value, f"{_moment(at, zone)}: {value} units"))
    return ProfitChart(
        height=HEIGHT,
        plot_top=PAD_TOP,
        plot_height=PLOT_HEIGHT,
        line_width=LINE_WIDTH,
        line=line,
        area=area,
        zero_y=y_of(0),
        y_ticks=_value_ticks(low, high, step, y_of, lambda t: format_units(int(t)).split(".")[0]),
        x_ticks=time_ticks(start, end, zone, x_of),
        marks=marks,
        final_cents=values[-1],
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
    marks: list[Point]


@dataclass(frozen=True)
class OddsChart:
    height: int
    plot_top: int
    plot_height: int
    line_width: int
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    snapshots: int
    home: str


def odds_chart(snapshots: Sequence[Quote], zone: ZoneInfo, *, home: str) -> OddsChart | None:
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

    def x_of(moment: datetime) -> float:
        return (moment - start).total_seconds() / duration

    def y_of(pct: float) -> float:
        return PAD_TOP + PLOT_HEIGHT * (high - pct) / (high - low)

    by_book: dict[str, list[tuple[datetime, float, int]]] = {}
    for snapshot, pct in zip(usable, values, strict=True):
        by_book.setdefault(snapshot.bookmaker, []).append(
            (snapshot.recorded_at, pct, snapshot.home_odds)
        )
    series = []
    for index, (book, rows) in enumerate(sorted(by_book.items())):
        rows.sort()
        coords = [(x_of(at), y_of(pct)) for at, pct, _ in rows]
        marks = [
            Point(
                coords[i][0],
                coords[i][1],
                f"{rows[i][1]:.1f}%",
                f"{book}, {_moment(rows[i][0], zone)}: {home} {format_american(rows[i][2])}, "
                f"implied {home} win chance {rows[i][1]:.1f}%",
            )
            for i in _marked(len(rows))
        ]
        series.append(Series(book, _line(coords), rows[-1][1], f"series-{index % 6}", marks))
    return OddsChart(
        height=HEIGHT,
        plot_top=PAD_TOP,
        plot_height=PLOT_HEIGHT,
        line_width=LINE_WIDTH,
        series=series,
        y_ticks=_value_ticks(low, high, step, y_of, lambda t: f"{t:.0f}%"),
        x_ticks=time_ticks(start, end, zone, x_of),
        snapshots=len(usable),
        home=home,
    )
