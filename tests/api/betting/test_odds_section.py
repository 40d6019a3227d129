"""The game page's odds section remembered per input (`web.odds_section`, issue 23): its
statistics are the public odds endpoint's figures, the same input is served the section built
for it, and any change of the input (a price, a snapshot, the zone, a snapshot leaving a
window as time passes) builds a new one, so a remembered section is never stale."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import ApiScope, utcnow
from courtside.services import board
from courtside.services.api_keys import create_key
from courtside.services.audit import SYSTEM
from courtside.services.closing_line import QuoteRow
from courtside.services.odds_movement import odds_movement
from courtside.web import odds_section as memo
from courtside.web.odds_section import STATISTICS, odds_section
from tests.api.betting.factories import HTML, make_slate
from tests.helpers import both_dialects, make_game, make_odds, make_teams

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    memo.forget()
    yield
    memo.forget()


def _history(count: int = 12) -> list[QuoteRow]:
    """Two books quoting every 16 hours up to NOW, oldest first (some in each window)."""
    rows = []
    for i in range(count):
        at = NOW - timedelta(hours=16 * (count - 1 - i))
        book = ("alpha", "beta")[i % 2]
        rows.append(QuoteRow(i + 1, 7, book, -120 - 3 * i, 100 + 2 * i, at))
    return rows


def _copy(history: list[QuoteRow]) -> list[QuoteRow]:
    """Equal rows, new objects: what the next request reads."""
    return [replace(row) for row in history]


def test_the_same_input_is_served_the_section_built_for_it() -> None:
    first = odds_section(_history(), NEW_YORK, home="BOS", now=NOW)
    again = odds_section(_copy(_history()), NEW_YORK, home="BOS", now=NOW)
    assert again is first
    assert first.chart is not None and 'data-testid="odds-chart"' in first.chart
    memo.forget()
    assert odds_section(_history(), NEW_YORK, home="BOS", now=NOW) == first  # built afresh


def test_a_changed_input_builds_a_new_section() -> None:
    history = _history()
    first = odds_section(history, NEW_YORK, home="BOS", now=NOW)

    repriced = [*history[:-1], replace(history[-1], home_odds=-400)]  # same id, a new price
    after = odds_section(repriced, NEW_YORK, home="BOS", now=NOW)
    assert after is not first and after.chart != first.chart
    assert after.statistics[0].overall.home_odds != first.statistics[0].overall.home_odds

    added = [*history, QuoteRow(99, 7, "alpha", -110, 100, NOW)]
    assert odds_section(added, NEW_YORK, home="BOS", now=NOW).statistics[0].overall.snapshots == (
        first.statistics[0].overall.snapshots + 1
    )

    in_tokyo = odds_section(history, TOKYO, home="BOS", now=NOW)
    assert in_tokyo.chart != first.chart and in_tokyo.statistics == first.statistics
    assert odds_section(history, NEW_YORK, home="NYK", now=NOW).chart != first.chart


def test_a_snapshot_leaving_a_window_as_time_passes_is_a_new_section() -> None:
    history = _history()
    first = odds_section(history, NEW_YORK, home="BOS", now=NOW)
    oldest_in_day = NOW - timedelta(hours=16)  # the 24 h window holds it and NOW's
    later = odds_section(history, NEW_YORK, home="BOS", now=oldest_in_day + timedelta(hours=24))
    day, week = first.statistics[0].overall, first.statistics[2].overall
    assert day.snapshots == 2 and later.statistics[0].overall.snapshots == 1
    assert later.statistics[2].overall.snapshots == week.snapshots - 1
    assert later.chart == first.chart  # the chart does not depend on the time
    # a minute later than NOW, the windows hold the same snapshots: the same section
    assert odds_section(history, NEW_YORK, home="BOS", now=NOW + timedelta(minutes=1)) is first


def test_at_most_sections_kept_the_least_recently_served_dropped() -> None:
    kept = memo.SECTIONS_KEPT
    histories = [[replace(row, game_id=game) for row in _history(3)] for game in range(kept + 1)]
    sections = [odds_section(h, NEW_YORK, home="BOS", now=NOW) for h in histories[:-1]]
    assert odds_section(histories[0], NEW_YORK, home="BOS", now=NOW) is sections[0]  # served
    odds_section(histories[-1], NEW_YORK, home="BOS", now=NOW)  # one too many: drops [1]
    assert len(memo._built) == memo.SECTIONS_KEPT
    assert odds_section(histories[0], NEW_YORK, home="BOS", now=NOW) is sections[0]
    assert odds_section(histories[1], NEW_YORK, home="BOS", now=NOW) is not sections[1]


def test_a_longer_history_is_built_each_time_not_remembered() -> None:
    """The key holds every snapshot: past `REMEMBERED_SNAPSHOTS_MAX` the section is built on
    each request and kept nowhere (the memory stays bounded)."""
    long = _history(memo.REMEMBERED_SNAPSHOTS_MAX + 1)
    first = odds_section(long, NEW_YORK, home="BOS", now=NOW)
    again = odds_section(_copy(long), NEW_YORK, home="BOS", now=NOW)
    assert again == first and again is not first and not memo._built
    assert odds_section(long[1:], NEW_YORK, home="BOS", now=NOW) is odds_section(
        long[1:], NEW_YORK, home="BOS", now=NOW
    )


@both_dialects
async def test_the_statistics_are_the_public_endpoints_figures(session: AsyncSession) -> None:
    """The four figures the page shows equal `/v1/games/{id}/odds?type=`'s overall ones
    (computed in SQL), with snapshots outside, at the edges of and after the windows."""
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], NOW + timedelta(hours=2))
    for hours in (0, 1, 5, 23, 24, 30, 70, 24 * 7, 24 * 7 + 1, 24 * 9):
        for book, shift in (("alpha", 0), ("beta", 7)):
            at = NOW - timedelta(hours=hours)
            await make_odds(session, game, -110 - hours - shift, 100 + hours + shift, at, book)
    await make_odds(session, game, -500, 400, NOW + timedelta(minutes=5), "alpha")  # future
    history = board.history_of(await board.odds_history_read(session, game.id)[3]())
    section = odds_section(history, NEW_YORK, home="BOS", now=NOW)
    connection = await session.connection()
    for (label, kind), shown in zip(STATISTICS, section.statistics, strict=True):
        assert shown.label == label
        public = (await odds_movement(connection, game.id, kind, now=NOW)).overall
        assert shown.overall.snapshots == public.snapshots > 0, label
        for field in ("home_odds", "away_odds", "home_probability", "away_probability"):
            assert getattr(shown.overall, field) == pytest.approx(
                getattr(public, field), abs=1e-4
            ), (label, field)


def _shown_snapshots(page: str) -> list[int]:
    table = page.split('data-testid="odds-stats"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'<td class="num wide-only">(\d+)</td>', table)]


async def test_the_page_shows_new_odds_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A page read twice, then a new snapshot written as the pipeline writes it: the next
    read shows it, the history the cache holds (`board.odds_history_read`) and the section
    remembered for the old history notwithstanding."""
    slate = await make_slate(session)  # one quote an hour ago
    game = slate.games[0]
    await make_odds(session, game, -140, 120, utcnow() - timedelta(minutes=30))
    _, secret = await create_key(session, name="pipeline", scope=ApiScope.WRITE, actor=SYSTEM)
    await session.commit()
    for _ in range(2):
        page = await client.get(f"/games/{game.id}", headers=HTML)
        assert page.status_code == 200
        assert _shown_snapshots(page.text) == [2, 2, 2, 2]
    at = (utcnow() - timedelta(minutes=1)).isoformat()
    quote = {"game": game.external_id, "bookmaker": "book", "home_odds": -160, "away_odds": 140}
    written = await client.post(
        "/v1/ingest/odds",
        json={"records": [{**quote, "recorded_at": at}]},
        headers={"X-API-Key": secret},
    )
    assert written.status_code == 200, written.text
    page = await client.get(f"/games/{game.id}", headers=HTML)
    assert _shown_snapshots(page.text) == [3, 3, 3, 3]
    assert page.text.count('data-testid="odds-series"') == 1
    assert "3 snapshots from 1 bookmakers." in page.text  # the chart's own description
