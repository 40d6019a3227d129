"""My record's summary and analytics section remembered per input
(`web.record_sections.RECORD_SECTIONS`, issue 23).

The same rows, zone, unit and wallet are served the section built for them, with each
viewer's own token; any change of the input (a bet, a result, a closing quote, the zone, the
unit, the wallet) builds a new one, so a remembered section is never stale; and on the app a
record served from the memory is byte for byte the record built from nothing, after each
kind of change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import get_cache
from courtside.http_cache import RECORDS
from courtside.models import Bet, Game, User
from courtside.services import analytics, record_reads
from courtside.services.units import Unit
from courtside.web import record_sections as memo
from courtside.web.analytics_html import RecordAnalytics
from courtside.web.analytics_view import analytics_view
from courtside.web.charts import profit_chart
from courtside.web.formatting import Formatter
from courtside.web.viewer_slot import VIEWER_SLOT
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, sign_in
from tests.api.betting.test_analytics import _history
from tests.helpers import make_odds

NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
TIP = datetime(2026, 1, 10, 0, 30, tzinfo=UTC)
UNIT = Unit(1000, True)


@pytest.fixture(autouse=True)
def _nothing_remembered() -> Iterator[None]:
    memo.RECORD_SECTIONS.clear()
    yield
    memo.RECORD_SECTIONS.clear()


def _rows(*, profit: int = 900, closing_home: int = -130, team: str = "BOS") -> Any:
    """`record_reads.record_rows`' shape: a won bet with two books' closing quotes, a lost
    one without any, an open one."""
    settled = TIP + timedelta(hours=3)
    bet = (1, "won", "home", -110, 1000, profit, settled, TIP, team)
    return (
        (*bet, 11, 7, "alpha", closing_home, 110, TIP - timedelta(hours=1)),
        (*bet, 12, 7, "beta", -125, 105, TIP - timedelta(minutes=30)),
        (2, "lost", "away", 150, 500, -500, settled + timedelta(days=2),
         TIP + timedelta(days=2), "NYK", None, None, None, None, None, None),
        (3, "open", "home", -105, 700, None, None, TIP + timedelta(days=9), "BOS",
         None, None, None, None, None, None),
    )  # fmt: skip


def _built(rows: Any, zone: ZoneInfo, unit: Unit, balance: int, starting: int, token: str
           ) -> tuple[str, object]:  # fmt: skip
    """The section as the record built it before it was remembered."""
    fmt = Formatter(zone)
    read = record_reads.record_of(rows, balance_cents=balance, starting_cents=starting)
    stats = analytics.stats_of(read.decided, unit, zone=zone)
    section = RecordAnalytics(fmt, analytics_view(stats, fmt), profit_chart(read.series, zone))
    return str(section(token)), read.summary


def _section(rows: Any, zone: ZoneInfo = NEW_YORK, unit: Unit = UNIT, balance: int = 99_000,
             starting: int = 100_000) -> memo.RecordSection:  # fmt: skip
    return memo.record_section(
        record_reads.rows_json(rows),
        Formatter(zone),
        unit,
        balance_cents=balance,
        starting_cents=starting,
    )


def test_every_view_is_served_the_section_built_for_its_input_with_its_own_token() -> None:
    first = _section(_rows())
    assert len(memo.RECORD_SECTIONS) == 1
    again = _section(_rows())  # new objects, the same input: served, not built again
    assert again is first and len(memo.RECORD_SECTIONS) == 1
    for token in ("token-a", "token-b"):
        markup, summary = _built(_rows(), NEW_YORK, UNIT, 99_000, 100_000, token)
        assert str(again(token)) == markup and again.summary == summary
        assert f'name="csrf_token" value="{token}"' in markup and VIEWER_SLOT not in markup
    assert first.summary.won == 1 and first.summary.lost == 1 and first.summary.open == 1


def test_a_token_is_escaped_as_the_section_escaped_it() -> None:
    token = 'a"<b>&'
    assert str(_section(_rows())(token)) == _built(_rows(), NEW_YORK, UNIT, 99_000, 100_000,
                                                   token)[0]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "arguments"),
    [
        ("a result", {"rows": _rows(profit=1200)}),
        ("a closing quote", {"rows": _rows(closing_home=-105)}),
        ("a team", {"rows": _rows(team="LAL")}),
        ("a bet more", {"rows": (*_rows(), (4, "open", "away", 120, 300, None, None,
                                            TIP + timedelta(days=9), "NYK", *[None] * 6))}),
        ("the zone", {"zone": TOKYO}),
        ("the unit", {"unit": Unit(2500, False)}),
        ("the balance", {"balance": 98_000}),
        ("the starting bankroll", {"starting": 50_000}),
    ],
)  # fmt: skip
def test_any_change_of_the_input_builds_a_new_section(
    change: str, arguments: dict[str, Any]
) -> None:
    before = _section(_rows())
    after = _section(**{"rows": _rows(), **arguments})
    assert after is not before and len(memo.RECORD_SECTIONS) == 2, change
    values = {"rows": _rows(), "zone": NEW_YORK, "unit": UNIT, "balance": 99_000,
              "starting": 100_000, **arguments}  # fmt: skip
    markup, summary = _built(values["rows"], values["zone"], values["unit"], values["balance"],
                             values["starting"], "t")  # fmt: skip
    assert (str(after("t")), after.summary) == (markup, summary), change
    assert (str(after("t")), after.summary) != (str(before("t")), before.summary), change


def test_a_text_holding_the_mark_is_built_per_request_and_not_kept() -> None:
    rows = _rows(team=f"B{VIEWER_SLOT}")
    section = _section(rows)
    assert len(memo.RECORD_SECTIONS) == 0 and section.split is None
    assert str(section("tok")) == _built(rows, NEW_YORK, UNIT, 99_000, 100_000, "tok")[0]


def test_a_record_of_more_rows_than_kept_at_most_is_built_per_request_and_not_kept() -> None:
    bet = (5, "lost", "away", 150, 500, -500, TIP, TIP, "NYK")
    quote = (7, "alpha", -130, 110, TIP - timedelta(hours=1))
    rows = _rows() + tuple((*bet, 100 + i, *quote) for i in range(memo.ROWS_KEPT_AT_MOST))
    section = _section(rows)
    assert len(memo.RECORD_SECTIONS) == 0 and section.split is None
    assert str(section("tok")) == _built(rows, NEW_YORK, UNIT, 99_000, 100_000, "tok")[0]
    _section(rows[: memo.ROWS_KEPT_AT_MOST])
    assert len(memo.RECORD_SECTIONS) == 1


def test_at_most_the_kept_number_of_sections_are_remembered() -> None:
    for balance in range(memo.RECORD_SECTIONS_KEPT + 5):
        _section(_rows(), balance=balance)
    assert len(memo.RECORD_SECTIONS) == memo.RECORD_SECTIONS_KEPT
    assert _section(_rows(), balance=0) is not None and len(memo.RECORD_SECTIONS) == (
        memo.RECORD_SECTIONS_KEPT
    )  # the oldest was dropped: built again, another dropped


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


async def test_the_record_page_follows_each_change_of_its_input(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """On the app and PostgreSQL: after each change (a later closing quote, a result
    corrected, a new unit), the record served with the memory is the record built from
    nothing, and differs from the one before the change."""
    user_id = await _history(session)
    await session.commit()
    user = await make_user(session)  # a second viewer with no bets
    await session.commit()
    owner = await session.get(User, user_id)
    assert owner is not None
    sign_in(client, owner)

    async def page() -> str:
        served = (await client.get("/record", headers=HTML)).text
        assert 'data-testid="record-analytics"' in served
        memo.RECORD_SECTIONS.clear()
        fresh = (await client.get("/record", headers=HTML)).text
        assert _without_token(served) == _without_token(fresh)
        again = (await client.get("/record", headers=HTML)).text  # from the memory
        assert again == fresh and len(memo.RECORD_SECTIONS) == 1
        return fresh

    first = await page()
    decided = (
        select(Game)
        .join(Bet, Bet.game_id == Game.id)
        .where(Bet.user_id == user_id, Bet.status.in_(("won", "lost")))
        .order_by(Game.start_time)
    )
    games = list((await session.scalars(decided)).all())
    await make_odds(session, games[0], -400, 300, games[0].start_time - timedelta(minutes=5))
    await session.commit()
    await get_cache().invalidate(RECORDS)  # as the odds' ingest does (`test_record_cache`)
    later_quote = await page()
    assert later_quote != first  # the first bet's closing price moved: its CLV too

    await session.execute(
        update(Bet).where(Bet.user_id == user_id, Bet.status == "won").values(profit_cents=1)
    )
    await session.commit()
    await get_cache().invalidate(RECORDS)  # as a write of bets does
    corrected = await page()
    assert corrected != later_quote

    token = csrf_from(corrected)
    answer = await client.post(
        "/record/unit", data={"csrf_token": token, "unit": "25"}, headers=HTML
    )
    assert answer.status_code == 303
    with_unit = await page()
    assert with_unit != corrected and 'value="25.00"' in with_unit

    sign_in(client, user)
    theirs = (await client.get("/record", headers=HTML)).text
    assert 'data-testid="no-analytics"' in theirs and "BOS" not in _analytics(theirs)


def _analytics(page: str) -> str:
    """The analytics section, without its forms' CSRF tokens (random: one may spell BOS)."""
    found = re.search(r'<div data-testid="record-analytics">.*?</section>\n</div>', page, re.S)
    assert found is not None
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', found.group(0))
