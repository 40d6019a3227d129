"""The game page's odds section (its chart and its four statistics), remembered per input.

Both are pure functions of what the page has read: the chart of the game's odds history, the
viewer's zone (its times) and the home team (its texts); each statistic of the snapshots its
window holds at this moment. A game's history changes only when the pipeline writes odds,
and its page is read many times in between, so a warm process remembers the sections it
built last (issue 23: the chart and the statistics were ~25 % of a warm game page's CPU).

The key is everything a section is computed from, never a time or a version: every
snapshot's columns, the zone, the home team and which snapshots each window holds. A
section is served only for exactly the input it was built from, so it cannot be stale: a
new snapshot, a corrected price or a snapshot leaving the 24 h window as time passes is a
new key, built afresh. At most `SECTIONS_KEPT` are kept, the least recently served dropped,
and none of a history longer than `REMEMBERED_SNAPSHOTS_MAX` (memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from courtside.remembered import HashedKey, Remembered
from courtside.schemas.odds_movement import OddsAggregate, OddsAggregateType
from courtside.services.closing_line import QuoteRow
from courtside.services.odds_movement import DEVIATIONS, WINDOWS
from courtside.services.odds_windows import overall_statistic
from courtside.web.chart_html import odds_chart_html
from courtside.web.charts import odds_chart

STATISTICS = (
    ("24 h average", OddsAggregateType.AVERAGE_24H),
    ("24 h deviation", OddsAggregateType.DEVIATION_24H),
    ("7 d average", OddsAggregateType.AVERAGE_7D),
    ("7 d deviation", OddsAggregateType.DEVIATION_7D),
)
"""The statistics the page shows, in its order: the public `/v1/games/{id}/odds?type=`'s
overall figures (`services.odds_movement`), over all bookmakers."""

SECTIONS_KEPT = 64
"""Sections a process remembers, the least recently served dropped first."""

REMEMBERED_SNAPSHOTS_MAX = 400
"""A game with a longer history has its section built on each request, not remembered: the
key holds every snapshot (~330 B each), so the 64 sections stay within ~10 MB of keys and
charts however long histories grow (the demo's ~50 snapshots a game: ~17 kB of key and
10-20 kB of chart, ~2 MB in all)."""


@dataclass(frozen=True)
class Statistic:
    label: str
    overall: OddsAggregate


@dataclass(frozen=True)
class OddsSection:
    statistics: tuple[Statistic, ...]
    chart: Markup | None
    """The chart and its legend; None with fewer than two snapshots (nothing moved yet)."""


_built: Remembered[HashedKey, OddsSection] = Remembered(SECTIONS_KEPT)


def odds_section(
    history: Sequence[QuoteRow], zone: ZoneInfo, *, home: str, now: datetime
) -> OddsSection:
    """The section for a game's `history` (oldest first, `board.odds_history`) as of `now`,
    the one remembered for exactly this input if there is one."""
    times = [quote.recorded_at for quote in history]
    windows = tuple(
        tuple(start < at <= now for at in times)
        for start in (now - WINDOWS[kind] for _, kind in STATISTICS)
    )
    if len(history) > REMEMBERED_SNAPSHOTS_MAX:
        return _build(history, zone, home, windows)
    columns = tuple(
        (q.id, q.game_id, q.bookmaker, q.home_odds, q.away_odds, q.recorded_at) for q in history
    )
    key = HashedKey((columns, zone, home, windows))
    section = _built.get(key)
    if section is not None:
        return section
    return _built.keep(key, _build(history, zone, home, windows))


def _build(
    history: Sequence[QuoteRow], zone: ZoneInfo, home: str, windows: tuple[tuple[bool, ...], ...]
) -> OddsSection:
    statistics = tuple(
        Statistic(
            label,
            overall_statistic(
                [quote for quote, inside in zip(history, held, strict=True) if inside],
                deviation=kind in DEVIATIONS,
            ),
        )
        for (label, kind), held in zip(STATISTICS, windows, strict=True)
    )
    chart = odds_chart(history, zone, home=home)
    return OddsSection(statistics, odds_chart_html(chart) if chart is not None else None)


def forget() -> None:
    """Drop every remembered section (tests)."""
    _built.clear()
