"""The game page's odds chart built as a string (`web.chart_html.odds_chart_html`, issue 23) is
byte for byte what `_odds_chart.html` drew (kept in `replaced_templates/` only to be compared
with), over many states: one to seven bookmakers (the six series colours wrap), two to
sixty snapshots each (more than the chart marks), spans from minutes to months, zones
either side of UTC, favourites and underdogs, and a team and bookmakers whose names need
escaping."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from courtside.models import OddsSnapshot
from courtside.web.chart_html import odds_chart_html
from courtside.web.charts import odds_chart
from tests.api.betting.test_record_html import ZONES, replaced_environment

BOOKS = ("draftkings", "fanduel", "b&m", '<"q">', "caesars", "mgm", "pinnacle")
HOMES = ("BOS", "LAL", "A&B")
SPANS = (timedelta(minutes=40), timedelta(hours=20), timedelta(days=6), timedelta(days=90))
ODDS = (-900, -300, -150, -110, 100, 105, 140, 250, 700)


def _snapshots(
    rng: random.Random, books: int, per_book: int, span: timedelta
) -> list[OddsSnapshot]:
    start = datetime(2026, 3, 1, 14, 5, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 5000))
    snapshots = []
    for book in rng.sample(BOOKS, books):
        count = per_book + rng.randrange(0, 2)
        for n in range(count):
            snapshots.append(
                OddsSnapshot(
                    game_id=1,
                    bookmaker=book,
                    home_odds=rng.choice(ODDS),
                    away_odds=rng.choice(ODDS),
                    recorded_at=start + span * rng.random() if n else start,
                )
            )
    return snapshots


def _states() -> list[tuple[int, int, int, timedelta, str, str]]:
    rng = random.Random(25)
    return [
        (seed, books, per_book, span, rng.choice(ZONES), rng.choice(HOMES))
        for seed, (books, per_book, span) in enumerate(
            (b, p, s) for b in (1, 2, 3, 7) for p in (2, 5, 41, 60) for s in SPANS
        )
    ]


@pytest.mark.parametrize(("seed", "books", "per_book", "span", "zone", "home"), _states())
def test_the_odds_chart_is_what_the_template_drew(
    seed: int, books: int, per_book: int, span: timedelta, zone: str, home: str
) -> None:
    rng = random.Random(seed)
    chart = odds_chart(_snapshots(rng, books, per_book, span), ZoneInfo(zone), home=home)
    assert chart is not None

    drawn = replaced_environment().get_template("_odds_chart.html").render(odds=chart)

    assert str(odds_chart_html(chart)) == drawn
