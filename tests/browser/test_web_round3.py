"""The web app's third round (issue 22) in a real browser, at 360 px (a small phone) and
1280 px: what a new user found broken, now asserted right.

1. a filter form with an empty field answers 200, and downloads its filters as CSV;
3. a game in progress shows its live state and score, the open games come first, and its
   page keeps the pre-game line and the prediction;
5. the stake and username fields leave the rules to the server: its message shows;
6. chart labels render at 12 px or more, with an axis title and a value on tap or focus;
7. no number or one-word token is broken across lines;
9. a Berlin user's "Today" is their day; a team with no day lists its next games; a refused
   bet leaves no `/bets` address to reload;
10. the payout of the stake being typed, with and without JavaScript, and "to win".
"""

from __future__ import annotations

import csv
import json
import re
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from courtside.odds import format_units, win_profit_cents
from tests.browser.test_web_flow import OriginWatch
from tests.browser.test_web_round2 import _sign_in, _sign_up

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = pytest.mark.parametrize("viewport", [NARROW, DESKTOP], ids=["360", "1280"])
LEAGUE = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def _context(browser: Any, viewport: dict[str, int], watch: OriginWatch, **options: Any) -> Any:
    context = browser.new_context(viewport=viewport, device_scale_factor=1, **options)
    context.set_default_timeout(15_000)
    watch.attach(context)
    return context


def _request(
    base: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    data = None
    sent = dict(headers or {})
    if isinstance(body, dict) and sent.get("Content-Type") == "form":
        data = urllib.parse.urlencode(body).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 (the live app on loopback)
        f"{base}{path}", data=data, headers=sent, method="POST" if data else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        return json.loads(response.read())


def _write_key(base: str) -> dict[str, str]:
    """A write key for the pipeline's part, created by the demo Admin over the API."""
    token = _request(
        base,
        "/token",
        body={"username": "demo-admin", "password": "courtside-admin"},
        headers={"Content-Type": "form"},
    )["access_token"]
    created = _request(
        base,
        "/v1/admin/api-keys",
        body={"name": "round3-pipeline", "scope": "write"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return {"X-API-Key": created["key"]}


LINE_COUNT = """(root) => {
  // Each text node that is one token (no spaces: a number, an action, a name) and the lines
  // its glyphs fall on; a token broken across lines has more than one.
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text || /\\s/.test(text) || text.length > 40) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest(".details, .secret, script, style, title, desc")) continue;
    if (parent.offsetParent === null && getComputedStyle(parent).position !== "fixed") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = new Set();
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.height > 0) tops.add(Math.round(rect.top));
    }
    if (tops.size > 1) broken.push(text);
  }
  return broken;
}"""

RENDERED_TICKS = """(svg) => [...svg.ownerDocument.querySelectorAll("svg text.tick")]
  .filter((el) => getComputedStyle(el).display !== "none" && el.getBBox().width > 0)
  .map((el) => [el.textContent, parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a])"""


# --- 1 ------------------------------------------------------------------------------------


@WIDTHS
def test_a_filter_with_empty_fields_answers_200_and_downloads_as_csv(
    live_app: str, browser: Any, viewport: dict[str, int]
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, base, "demo-user", "courtside-user", "/record")
    page.select_option("#f-status", "lost")
    with page.expect_response(re.compile(r".*/record\?status=lost&team=&from=&to=.*")) as sent:
        page.click("[data-testid=apply]")
    assert sent.value.status == 200
    page.wait_for_load_state()
    statuses = page.locator("[data-testid=bets] tbody .status").all_inner_texts()
    assert statuses and set(statuses) == {"lost"}
    with page.expect_download() as download:
        page.click("[data-testid=csv-filtered]")
    rows = list(csv.DictReader(Path(download.value.path()).read_text().splitlines()))
    assert len(rows) == len(statuses) and {row["status"] for row in rows} == {"lost"}

    admin = _context(browser, viewport, watch).new_page()
    _sign_in(admin, base, "demo-admin", "courtside-admin", "/admin/users")
    admin.select_option("#status", "active")
    with admin.expect_response(re.compile(r".*/admin/users\?q=&role=&status=active")) as sent:
        admin.click("form.filters button[type=submit]")
    assert sent.value.status == 200
    admin.goto(f"{base}/admin/audit")
    admin.fill("#action", "user.*")
    with admin.expect_response(re.compile(r".*/admin/audit\?action=user.*&actor_type=&")) as sent:
        admin.click("form.filters button[type=submit]")
    assert sent.value.status == 200
    admin.wait_for_load_state()
    assert admin.locator("[data-testid=audit-events] tbody tr").count() >= 1
    context.close()
    watch.check()


# --- 3 ------------------------------------------------------------------------------------


def _make_a_game_live(base: str) -> tuple[str, dict[str, Any]]:
    """The earliest game of a day five days ahead, reported live (Q3 5:12, 55-60) by the
    pipeline: its tip-off stays where it is, so in tip-off order it would come first."""
    day = (datetime.now(LEAGUE) + timedelta(days=5)).date().isoformat()
    games = _request(base, f"/v1/games?date={day}&limit=50")["items"]
    assert len(games) >= 2, f"the demo season has fewer than two games on {day}"
    game = min(games, key=lambda g: (g["start_time"], g["id"]))
    record = {
        "external_id": game["external_id"],
        "season": game["season"],
        "start_time": game["start_time"],
        "home_team": game["home_team"]["abbreviation"],
        "away_team": game["away_team"]["abbreviation"],
        "status": "live",
        "home_score": 60,
        "away_score": 55,
        "period": 3,
        "clock_seconds": 312,
    }
    _request(base, "/v1/ingest/games", body={"records": [record]}, headers=_write_key(base))
    return day, game


@WIDTHS
def test_a_game_in_progress_shows_its_state_and_comes_after_the_open_games(
    live_app: str, browser: Any, viewport: dict[str, int], screenshot_dir: Path
) -> None:
    base = live_app
    day, game = _make_a_game_live(base)
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    page.goto(f"{base}/?date={day}")
    cards = page.locator("[data-testid=game-card]")
    ids = [card.get_attribute("id") for card in cards.all()]
    live = page.locator(f"#game-{game['id']}")
    assert ids[-1] == f"game-{game['id']}", ids  # every open game first
    assert "Live" not in (cards.first.locator("header").inner_text())
    first_box, live_box = cards.first.bounding_box(), live.bounding_box()
    assert first_box is not None and live_box is not None
    assert first_box["y"] < live_box["y"]  # and seen first, at this width too
    assert live.locator("[data-testid=game-state]").inner_text() == "Live · Q3 5:12"
    assert live.locator("[data-testid=score]").all_inner_texts() == ["55", "60"]

    live.locator("[data-testid=game-link]").click()
    page.wait_for_url(f"{base}/games/{game['id']}")
    assert page.locator("[data-testid=game-score]").inner_text() == "55\u201360"
    assert page.locator("[data-testid=live-state]").inner_text() == "Q3 5:12"
    assert re.fullmatch(r"\d+\.\d%", page.locator("[data-testid=model]").inner_text())
    assert page.locator("[data-testid=bookmakers] tbody tr").count() >= 2
    assert "before tip-off" in page.locator("main").inner_text()
    assert page.locator("[data-testid=no-odds]").count() == 0
    if viewport is NARROW:
        page.screenshot(path=str(screenshot_dir / "game-live-phone.png"))
    context.close()
    watch.check()


# --- 5 ------------------------------------------------------------------------------------


@WIDTHS
def test_the_servers_messages_are_not_hidden_by_the_browser(
    live_app: str, browser: Any, viewport: dict[str, int]
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    name = f"Stake.Fan{viewport['width']}"
    _sign_up(page, base, f"  {name}")  # capitals and spaces: the rule is lower case, trimmed
    assert f"Log out {name.lower()}" in page.locator("header.site-header").inner_text()

    for typed, message in [
        ("-5", "The stake must be more than zero."),
        ("abc", "Enter the stake as a number of units"),
        ("10.555", "Use at most two decimals"),
    ]:
        form = page.locator("form.bet-form").first
        game_id = form.locator("input[name=game_id]").get_attribute("value")
        assert "pattern" not in (form.locator("input[name=stake]").evaluate("e => e.outerHTML"))
        form.locator("input[type=radio]").first.check()
        form.locator("input[name=stake]").fill(typed)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        error = page.locator(f"#game-{game_id} [data-testid=bet-error]")
        assert message in error.inner_text(), typed
        assert page.locator(f"#game-{game_id} input[name=stake]").input_value() == typed

    form = page.locator("form.bet-form").first
    form.locator("input[type=radio]").first.check()
    form.locator("input[name=stake]").fill(" 25 ")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*placed=\d+.*"))
    assert "Bet placed: 25.00" in page.locator("[data-testid=bet-outcome]").inner_text()
    context.close()
    watch.check()


# --- 6 ------------------------------------------------------------------------------------


def _check_chart(page: Any, selector: str, title_words: tuple[str, ...], tap: bool) -> str:
    chart = page.locator(selector)
    sizes = chart.evaluate(RENDERED_TICKS)
    assert len(sizes) >= 4
    small = [(label, round(size, 1)) for label, size in sizes if size < 12]
    assert small == [], f"labels drawn under 12 px: {small}"
    title = page.locator("[data-testid=y-axis-title]").first.inner_text()
    assert all(word in title for word in title_words), title
    box = page.locator(".chart-figure").first.bounding_box()
    assert box is not None
    for tick in chart.locator("[data-testid=x-tick]").all():
        if not tick.is_visible():
            continue
        label = tick.bounding_box()
        assert label is not None
        assert (
            box["x"] - 0.5 <= label["x"]
            and label["x"] + label["width"] <= box["x"] + box["width"] + 0.5
        ), f"x label {tick.inner_text()!r} is clipped"
    point = chart.locator("[data-testid=chart-point]").last
    value = point.locator("text.value")
    assert not value.is_visible()
    if tap:
        point.tap()
    else:
        point.focus()
    assert value.is_visible()
    size = value.evaluate("e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a")
    assert size >= 12
    assert point.locator("title").text_content() or ""
    return str(value.text_content())


@WIDTHS
def test_charts_are_readable_with_a_value_on_tap(
    live_app: str, browser: Any, viewport: dict[str, int], screenshot_dir: Path
) -> None:
    base = live_app
    watch = OriginWatch(base)
    touch = viewport is NARROW
    context = _context(browser, viewport, watch, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    _sign_in(page, base, "demo-user", "courtside-user", "/record")
    last = _check_chart(page, "svg[data-testid=profit-chart]", ("Profit", "units"), touch)
    final = page.locator("svg[data-testid=profit-chart] desc").text_content() or ""
    assert f"profit now {last} units" in final  # the last dot's value is the profit now
    if touch:
        page.locator(".chart-figure").first.screenshot(path=str(screenshot_dir / "chart-phone.png"))

    page.goto(f"{base}/")
    open_card = page.locator("[data-testid=game-card]", has=page.locator("form.bet-form")).first
    open_card.locator("[data-testid=game-link]").click()
    page.wait_for_url(re.compile(r".*/games/\d+$"))
    value = _check_chart(page, "svg[data-testid=odds-chart]", ("Implied", "win", "%"), touch)
    assert re.fullmatch(r"[a-z]+ \d+\.\d%", value), value
    context.close()
    watch.check()


# --- 7 ------------------------------------------------------------------------------------


def test_no_number_or_word_is_broken_across_lines(live_app: str, browser: Any) -> None:
    base = live_app
    watch = OriginWatch(base)
    board = _context(browser, DESKTOP, watch)
    admin = board.new_page()
    admin.goto(f"{base}/")
    href = (
        admin.locator("[data-testid=game-card]", has=admin.locator(".book"))
        .first.locator("[data-testid=game-link]")
        .get_attribute("href")
    )
    board.close()
    broken: list[tuple[str, str, list[str]]] = []
    for viewport, paths in [
        (DESKTOP, ["/admin/audit", "/admin", href]),
        (PHONE, [href, "/", "/record", "/admin/audit"]),
        (NARROW, [href, "/", "/record", "/admin/audit"]),
    ]:
        context = _context(browser, viewport, watch)
        page = context.new_page()
        _sign_in(page, base, "demo-admin", "courtside-admin")
        for path in paths:
            page.goto(f"{base}{path}")
            found = page.locator("main").evaluate(LINE_COUNT)
            broken += [(str(viewport["width"]), str(path), found)] if found else []
        context.close()
    assert broken == [], broken
    watch.check()


# --- 9 ------------------------------------------------------------------------------------


DAYS_OF_CARDS = """() => [...document.querySelectorAll("[data-testid=day]")].map((heading) => {
  const grid = heading.nextElementSibling;
  const times = [...grid.querySelectorAll("[data-testid=game-link] time")];
  return [heading.dataset.day, heading.textContent.trim(),
          times.map((t) => t.getAttribute("datetime").slice(0, 10))];
})"""


@WIDTHS
def test_a_berlin_users_days_a_teams_next_games_and_a_refused_bet(
    live_app: str, browser: Any, viewport: dict[str, int]
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_up(page, base, f"berlin{viewport['width']}")
    page.goto(f"{base}/settings")
    page.select_option("#time_zone", "Europe/Berlin")
    page.click("[data-testid=settings] button[type=submit]")
    page.wait_for_url(f"{base}/settings?done=saved")

    page.goto(f"{base}/")
    days = page.evaluate(DAYS_OF_CARDS)
    assert days, "the board shows no day"
    today = datetime.now(BERLIN).date()
    for day, label, dates in days:
        assert dates and set(dates) == {day}, (label, day, dates)  # each game on its own day
        if label == "Today":
            assert day == today.isoformat()
        if label == "Tomorrow":
            assert day == (today + timedelta(days=1)).isoformat()
    assert "Days are yours (Europe/Berlin" in page.locator("[data-testid=days-note]").inner_text()

    # A team and "Show" with no day: that team's next games, not "No games on this day".
    page.select_option("#board-team", "BOS")
    page.click("form.board-nav button[type=submit]")
    page.wait_for_url(re.compile(r".*/\?date=&team=BOS$"))
    assert page.locator("#board-date").input_value() == ""
    assert "No games on this day" not in page.locator("main").inner_text()
    shown = page.locator("[data-testid=game-card]").count()
    for card in page.locator("[data-testid=game-card]").all():
        assert "BOS" in card.locator("table.line").inner_text()
    page.goto(f"{base}/?team=BOS")
    assert page.locator("[data-testid=game-card]").count() == shown

    # A refused bet: the answer is the board again, not a /bets page to re-submit on reload.
    page.goto(f"{base}/")
    form = page.locator("form.bet-form").first
    game_id = form.locator("input[name=game_id]").get_attribute("value")
    form.locator("input[type=radio]").first.check()
    form.locator("input[name=stake]").fill("100000")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    error = page.locator(f"#game-{game_id} [data-testid=bet-error]")
    assert "bankroll" in error.inner_text()
    assert "/bets" not in page.url
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    assert error.count() == 0  # shown once
    opened = page.goto(f"{base}/bets")
    assert opened is not None and opened.status == 200
    assert page.url == f"{base}/"
    context.close()
    watch.check()


# --- 10 -----------------------------------------------------------------------------------


@WIDTHS
def test_the_payout_of_the_stake_being_typed(
    live_app: str, browser: Any, viewport: dict[str, int]
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_up(page, base, f"payout{viewport['width']}")
    form = page.locator("form.bet-form").first
    form.locator("input[name=stake]").press_sequentially("25")
    assert form.locator("[data-payout-stake]").inner_text() == "25.00"
    for side in form.locator(".payout-side").all():
        odds = int(side.get_attribute("data-odds") or 0)
        profit = win_profit_cents(2_500, odds)
        assert side.locator("[data-payout-profit]").inner_text() == format_units(profit)
        assert side.locator("[data-payout-return]").inner_text() == format_units(profit + 2_500)
    form.locator("input[name=stake]").fill("")
    form.locator("input[name=stake]").press_sequentially("abc")
    assert form.locator("[data-payout-stake]").inner_text() == "100.00"  # back to the example
    context.close()

    # Without JavaScript: the refused form shows the payout of the stake sent; a placed bet
    # says what it wins; the record says it too.
    plain = _context(browser, viewport, watch, java_script_enabled=False)
    page = plain.new_page()
    _sign_up(page, base, f"plain{viewport['width']}")
    form = page.locator("form.bet-form").first
    game_id = form.locator("input[name=game_id]").get_attribute("value")
    odds = int(form.locator(".payout-side[data-side=away]").get_attribute("data-odds") or 0)
    form.locator("input[value=away]").check()
    form.locator("input[name=stake]").fill("5000")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    card = page.locator(f"#game-{game_id}")
    assert "bankroll" in card.locator("[data-testid=bet-error]").inner_text()
    away = card.locator(".payout-side[data-side=away]")
    assert card.locator("[data-payout-stake]").inner_text() == "5,000.00"
    assert away.locator("[data-payout-profit]").inner_text() == format_units(
        win_profit_cents(500_000, odds)
    )
    card.locator("input[name=stake]").fill("40")
    card.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*placed=\d+.*"))
    win = win_profit_cents(4_000, odds)
    outcome = page.locator(f"#game-{game_id} [data-testid=bet-outcome]").inner_text()
    assert f"To win {format_units(win)}, total return {format_units(win + 4_000)}." in outcome
    page.goto(f"{base}/record")
    assert page.locator("[data-testid=bets] [data-testid=to-win]").first.inner_text() == (
        f"+{format_units(win)}"
    )
    plain.close()
    watch.check()
