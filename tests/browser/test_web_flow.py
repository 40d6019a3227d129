"""End to end in a real browser: a Consumer bets and reads the record; an Admin closes
betting and the Consumer then sees it closed; the core flow again with JavaScript off.
Every request any page makes stays on the app's origin, the API docs included, and no
page trips the Content-Security-Policy."""

from __future__ import annotations

import re
from csv import DictReader
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1100, "height": 760}
PHONE = {"width": 390, "height": 760}


class OriginWatch:
    """Records every request a browser context makes and every CSP complaint it logs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.foreign: list[str] = []
        self.csp_violations: list[str] = []
        self.requests = 0

    def attach(self, context: Any) -> None:
        context.on("request", self._on_request)
        context.on("console", self._on_console)

    def _on_request(self, request: Any) -> None:
        self.requests += 1
        url = request.url
        if not (url == self.base or url.startswith(f"{self.base}/") or url.startswith("data:")):
            self.foreign.append(url)

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def check(self) -> None:
        assert self.requests > 0
        assert self.foreign == [], f"requests to other origins: {self.foreign}"
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"


def _context(
    browser: Any,
    viewport: dict[str, int] = DESKTOP,
    *,
    watch: OriginWatch | None = None,
    javascript: bool = True,
) -> Any:
    context = browser.new_context(
        viewport=viewport, device_scale_factor=1, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    if watch is not None:
        watch.attach(context)
    return context


def _sign_in(page: Any, base: str, username: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def test_core_flow_without_javascript(live_app: str, browser: Any) -> None:
    """Log in, bet, see the bet on the record page, log out: plain HTML forms only."""
    from playwright.sync_api import expect

    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, watch=watch, javascript=False)
    page = context.new_page()
    page.goto(f"{base}/docs", wait_until="load")
    assert page.evaluate("typeof window.ui") == "undefined"  # the page's scripts never ran

    _sign_in(page, base, "demo-admin", "courtside-admin")
    form = page.locator("form.bet-form").first
    game_id = form.locator("input[name=game_id]").get_attribute("value")
    team = form.locator("label.choice").nth(1).inner_text().split()[0]
    form.locator("input[type=radio]").nth(1).check()
    form.locator("input[name=stake]").fill("12.50")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/\?placed=\d+.*"))
    expect(page.locator(".flash.success")).to_contain_text("Bet placed: 12.50 on")
    expect(page.locator(f"#game-{game_id} [data-testid=my-bet]")).to_contain_text(team)

    page.click("header nav >> text=My record")
    page.wait_for_url(f"{base}/record")
    first_row = page.locator("[data-testid=bets] tbody tr").first
    expect(first_row).to_contain_text(team)
    expect(first_row).to_contain_text("12.50")

    page.goto(f"{base}/logout")
    expect(page.locator("[data-testid=logout]")).to_contain_text("demo-admin")
    page.locator("[data-testid=logout] button[type=submit]").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/logout")
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.goto(f"{base}/record")
    page.wait_for_url(f"{base}/login?next=%2Frecord")
    context.close()
    watch.check()


def test_bet_record_logout_and_betting_closed(
    live_app: str, browser: Any, screenshot_dir: Path
) -> None:
    from playwright.sync_api import expect

    base = live_app
    watch = OriginWatch(base)
    consumer = _context(browser, watch=watch)
    page = consumer.new_page()

    # A Consumer signs in and bets on the first open game of the board.
    _sign_in(page, base, "demo-user", "courtside-user")
    expect(page.locator("[data-testid=bankroll]")).to_be_visible()
    form = page.locator("form.bet-form").first
    game_id = form.locator("input[name=game_id]").get_attribute("value")
    team = form.locator("label.choice").first.inner_text().split()[0]
    form.locator("input[type=radio]").first.check()
    form.locator("input[name=stake]").fill("25")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/\?placed=\d+.*"))
    expect(page.locator(".flash.success")).to_contain_text("Bet placed: 25.00 on")
    card = page.locator(f"#game-{game_id}")
    expect(card.locator("[data-testid=my-bet]")).to_contain_text(f"25.00 on {team}")
    expect(card.locator("form.bet-form")).to_have_count(0)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "board.png"))

    # The record lists the new bet and draws the cumulative-profit chart.
    page.click("header nav >> text=My record")
    page.wait_for_url(f"{base}/record")
    first_row = page.locator("[data-testid=bets] tbody tr").first
    expect(first_row).to_contain_text(team)
    expect(first_row).to_contain_text("25.00")
    expect(first_row).to_contain_text("open")
    chart = page.locator("svg[data-testid=profit-chart]")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    csv = page.request.get(f"{base}/record.csv")
    assert csv.status == 200
    assert csv.text().count("\r\n") == 1 + 41
    # The chart counts the won and lost bets: a demo bet on a game that was postponed is
    # refunded, and which games the demo bets pick moves with the hour it loads.
    statuses = [row["status"] for row in DictReader(StringIO(csv.text()))]
    decided = sum(status in ("won", "lost") for status in statuses)
    assert 30 <= decided <= 40 and statuses.count("open") == 1, statuses
    expect(chart.locator("desc")).to_contain_text(f"{decided} settled bets")
    points = chart.locator("polyline").get_attribute("points") or ""
    steps = int(chart.get_attribute("data-steps") or 0)
    assert 0 < steps <= decided  # bets settled at the same instant make one step
    assert len(points.split()) == 1 + 2 * steps  # the origin, then one step per instant
    page.screenshot(path=str(screenshot_dir / "record.png"), full_page=False)

    # Log out: the record is out of reach again.
    page.click("header form[action='/logout'] button")
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/record")
    page.wait_for_url(f"{base}/login?next=%2Frecord")
    assert page.get_by_role("heading", name="Sign in").is_visible()

    # A Consumer may not enter the admin area.
    _sign_in(page, base, "demo-user", "courtside-user")
    response = page.goto(f"{base}/admin/flags")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("This page is for administrators.")

    # An Admin switches betting off.
    admin = _context(browser, watch=watch)
    admin_page = admin.new_page()
    _sign_in(admin_page, base, "demo-admin", "courtside-admin", "/admin/flags")
    expect(admin_page.locator("[data-testid=state-betting_open]")).to_have_text("on")
    admin_page.click("[data-testid=toggle-betting_open]")
    admin_page.wait_for_url(f"{base}/admin/flags?done=flag_toggled")
    expect(admin_page.locator("[data-testid=state-betting_open]")).to_have_text("off")
    admin_page.screenshot(path=str(screenshot_dir / "admin-flags.png"))
    admin_page.goto(f"{base}/admin/audit?action=flag.*")
    expect(admin_page.locator("[data-testid=audit-events]")).to_contain_text("flag.update")
    expect(admin_page.locator("[data-testid=audit-events]")).to_contain_text("demo-admin")
    admin_page.screenshot(path=str(screenshot_dir / "admin-audit.png"))
    admin_page.goto(f"{base}/admin/users?q=demo")
    expect(admin_page.locator("[data-testid=users]")).to_contain_text("demo-user")
    admin_page.screenshot(path=str(screenshot_dir / "admin-users.png"))

    # The Consumer now sees betting closed: a notice, and no bet form anywhere.
    page.goto(f"{base}/")
    expect(page.locator("[data-testid=betting-closed]")).to_contain_text("Betting is closed")
    expect(page.locator("form.bet-form")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "betting-closed.png"))

    phone = _context(browser, PHONE, watch=watch)
    phone.add_cookies(consumer.cookies())
    phone_page = phone.new_page()
    phone_page.goto(f"{base}/record")
    expect(phone_page.locator("svg[data-testid=profit-chart]")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing overflows sideways on a phone
    phone_page.screenshot(path=str(screenshot_dir / "record-phone.png"))

    # The API docs (linked from every page) run from vendored Swagger UI, and its Authorize
    # button (OAuth2 password flow against /token) works under the CSP.
    docs = consumer.new_page()
    docs.goto(f"{base}/docs")
    expect(docs.locator(".swagger-ui .info .title")).to_contain_text("Courtside")
    assert docs.evaluate("typeof window.ui") == "object"  # set by our static initialiser
    expect(docs.locator(".opblock-summary-path[data-path='/v1/me/bets']").first).to_be_visible()
    docs.locator("button.authorize").first.click()
    dialog = docs.locator(".dialog-ux")
    dialog.locator("#oauth_username").fill("demo-user")
    dialog.locator("#oauth_password").fill("courtside-user")
    with docs.expect_response(f"{base}/token") as token_response:
        dialog.get_by_role("button", name="Apply given OAuth2 credentials").click()
    assert token_response.value.status == 200
    expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()

    # Betting opens again, so the test leaves the app as it found it.
    admin_page.goto(f"{base}/admin/flags")
    admin_page.click("[data-testid=toggle-betting_open]")
    expect(admin_page.locator("[data-testid=state-betting_open]")).to_have_text("on")
    for context in (consumer, admin, phone):
        context.close()
    watch.check()
