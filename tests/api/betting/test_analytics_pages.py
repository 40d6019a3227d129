"""The record page's analytics, its unit form, and the public track-record page, over HTTP
(the figures themselves are checked by hand in test_analytics.py and test_track_record.py)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import User
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, sign_in
from tests.api.betting.test_analytics import _history
from tests.api.league.test_track_record import _world
from tests.helpers import both_dialects


def _testid(page: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


@both_dialects
async def test_the_record_shows_the_analytics_and_every_breakdown(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await session.get(User, await _history(session))
    assert user is not None
    user.time_zone = "UTC"
    await session.commit()
    sign_in(client, user)

    page = (await client.get("/record", headers=HTML)).text

    assert _testid(page, "a-roi") == "21.2%"  # 1166 / 5500
    assert _testid(page, "a-units") == "+1.17"  # 1166 / 1000
    assert _testid(page, "a-odds") == "+109"
    assert _testid(page, "a-win-rate") == "60.0%"
    assert _testid(page, "a-clv") == "+3.1 pts"  # .03145
    assert _testid(page, "a-streak") == "W1"
    for key, rows in (("month", 2), ("team", 4), ("price", 2), ("venue", 2), ("band", 4)):
        table = page.split(f'data-testid="breakdown-{key}"')[1].split("</table>")[0]
        assert table.count('<th scope="row">') == rows, key
    assert 'data-testid="clv-chart"' in page
    # one point per settled bet from the first with a closing line on (bet 5 keeps the average)
    assert page.count('data-testid="clv-point"') == 5
    assert 'data-testid="profit-chart"' in page


async def test_a_new_bettor_sees_no_figures_yet(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    sign_in(client, user)
    page = (await client.get("/record", headers=HTML)).text
    assert 'data-testid="no-analytics"' in page
    assert 'data-testid="no-clv-chart"' in page
    assert _testid(page, "a-roi") == "\u2013"


@both_dialects
async def test_the_unit_form_saves_and_refuses_with_a_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await session.get(User, await _history(session))
    assert user is not None
    await session.commit()
    sign_in(client, user)
    token = csrf_from((await client.get("/record", headers=HTML)).text)

    saved = await client.post(
        "/record/unit", data={"csrf_token": token, "unit": "25.00"}, headers=HTML
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/record#analytics"
    page = (await client.get("/record", headers=HTML)).text
    assert _testid(page, "a-units") == "+0.47"  # 1166 / 2500

    not_a_number = "Enter the unit as a number of units, e.g. 10 or 12.50."
    out_of_range = "A unit must be more than 0 and at most 1,000,000.00."
    for wrong, reason in (
        ("abc", not_a_number),
        ("1.234", not_a_number),
        ("nan", not_a_number),
        ("1e400", not_a_number),
        ("0", out_of_range),
        ("-3", out_of_range),
        ("2000000", out_of_range),
    ):
        refused = await client.post(
            "/record/unit", data={"csrf_token": token, "unit": wrong}, headers=HTML
        )
        assert refused.status_code == 422, wrong
        assert f'<p class="flash error" role="alert">{reason}</p>' in refused.text, wrong
    page = (await client.get("/record", headers=HTML)).text
    assert _testid(page, "a-units") == "+0.47"  # unchanged by the refusals

    reset = await client.post("/record/unit", data={"csrf_token": token, "unit": ""}, headers=HTML)
    assert reset.status_code == 303
    page = (await client.get("/record", headers=HTML)).text
    assert _testid(page, "a-units") == "+1.17"

    no_token = await client.post("/record/unit", data={"unit": "5"}, headers=HTML)
    assert no_token.status_code == 403


@both_dialects
async def test_the_track_record_page_is_public(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _world(session)
    await session.commit()

    page = await client.get("/track-record", headers=HTML)

    assert page.status_code == 200
    text = page.text
    assert _testid(text, "track-games") == "5"
    assert "0.271" in text  # the model's Brier score
    assert "0.837" in text or "0.838" in text  # the market's log loss, .837914
    season = text.split('data-testid="track-season"')[1].split("</table>")[0]
    assert season.count('<th scope="row"') == 2
    month = text.split('data-testid="track-month"')[1].split("</table>")[0]
    assert month.count('<th scope="row"') == 3
    assert 'data-testid="calibration-chart"' in text
    assert text.count('data-testid="calibration-point"') == 4 + 3  # filled deciles
    assert '<a href="/track-record">' in text  # in the main navigation


async def test_an_empty_track_record_says_so(client: httpx.AsyncClient) -> None:
    page = await client.get("/track-record", headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="track-empty"' in page.text
