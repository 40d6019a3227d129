"""My record's analytics section built as a string (`web.analytics_html`, issue 23) is byte for
byte what the templates it replaced drew (`replaced_templates/`: `_record_analytics.html` with
its `_profit_chart.html` and `_clv_chart.html`, kept here only to be compared with), through
a Jinja environment set up as the site's, over many states: no bets, one, a few, more than the
charts mark; wins, losses, all of one kind; with and without closing lines; a chosen or the
default unit; bets settled at one instant, over hours, weeks or seasons; zones either side of
UTC; data and a CSRF token that need escaping."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from courtside.services.analytics import DecidedBet, stats_of
from courtside.services.bet_record import ProfitPoint
from courtside.services.units import Unit
from courtside.web.analytics_html import RecordAnalytics
from courtside.web.analytics_view import analytics_view
from courtside.web.charts import profit_chart
from courtside.web.formatting import Formatter

REPLACED = Path(__file__).resolve().parent / "replaced_templates"
ZONES = ("America/New_York", "UTC", "Asia/Tokyo", "Pacific/Auckland")
TEAMS = ("BOS", "LAL", "NYK", "A&B", '<"Q">')
SPANS = (timedelta(0), timedelta(hours=5), timedelta(days=9), timedelta(days=60),
         timedelta(days=400))  # fmt: skip
ODDS = (-400, -150, -110, 100, 120, 250, 900)


def replaced_environment() -> Environment:
    """As `web.templating.environment`, loading the replaced templates."""
    return Environment(
        loader=FileSystemLoader(REPLACED),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _bets(rng: random.Random, count: int, span: timedelta, mode: str) -> list[DecidedBet]:
    start = datetime(2026, 1, 5, 23, 30, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 2000))
    bets = []
    for n in range(count):
        settled = start + (span * n / max(count - 1, 1) if span else timedelta(0))
        odds = rng.choice(ODDS)
        stake = rng.choice((100, 500, 2_500, 10_000, 123_456))
        won = {"won": True, "lost": False}.get(mode, rng.random() < 0.5)
        profit = (stake * (odds if odds > 0 else 10_000 // -odds) // 100) if won else -stake
        closing = {"no-close": None, "all-close": rng.choice(ODDS)}.get(
            mode, rng.choice((None, *ODDS))
        )
        bets.append(
            DecidedBet(
                bet_id=n + 1,
                settled_at=settled,
                tip_off=settled - timedelta(hours=3),
                side=rng.choice(("home", "away")),
                team=rng.choice(TEAMS),
                odds=odds,
                closing_odds=closing,
                stake_cents=stake,
                profit_cents=profit,
            )
        )
    return bets


def _states() -> list[tuple[int, int, timedelta, str, str, bool]]:
    rng = random.Random(23)
    counts = (0, 1, 2, 3, 7, 40, 41, 57)
    modes = ("mixed", "won", "lost", "no-close", "all-close")
    states = [
        (seed, count, span, mode, zone, default_unit)
        for seed, (count, span, mode) in enumerate(
            (c, s, m) for c in counts for s in SPANS for m in modes
        )
        for zone, default_unit in ((rng.choice(ZONES), rng.random() < 0.5),)
    ]
    return states


@pytest.mark.parametrize(("seed", "count", "span", "mode", "zone", "default_unit"), _states())
def test_the_analytics_section_is_what_the_templates_drew(
    seed: int, count: int, span: timedelta, mode: str, zone: str, default_unit: bool
) -> None:
    rng = random.Random(seed)
    fmt = Formatter(ZoneInfo(zone))
    bets = _bets(rng, count, span, mode)
    unit = Unit(cents=rng.choice((1, 500, 2_000, 100_000)), is_default=default_unit)
    stats = stats_of(bets, unit, zone=fmt.zone)
    total = 0
    points = []
    for bet in sorted(bets, key=lambda b: (b.settled_at, b.bet_id)):
        total += bet.profit_cents
        points.append(ProfitPoint(at=bet.settled_at, cumulative_cents=total, bet_id=bet.bet_id))
    chart = profit_chart(points, fmt.zone)
    view = analytics_view(stats, fmt)
    token = rng.choice(("plain-token", "<&\"'>token"))

    drawn = (
        replaced_environment()
        .get_template("_record_analytics.html")
        .render(analytics=view, chart=chart, fmt=fmt, csrf_token=token)
    )
    built = RecordAnalytics(fmt, view, chart)(token)

    assert str(built) == drawn
