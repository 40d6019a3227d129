"""Issue 25 in a real browser, at 360 px (a small phone) and 1280 px: the record's analytics
(profit and running CLV side by side on a wide screen, one above the other on a phone, a
breakdown table each with rows from the demo history) and the public track-record page
(its calibration chart and tables), with nothing wider than the screen and chart labels
drawn at 12 px or more. Screenshots: record-analytics(-phone).png, track-record(-phone).png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_flow import OriginWatch
from tests.browser.test_web_round2 import _overflow, _sign_in

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = pytest.mark.parametrize("viewport", [NARROW, DESKTOP], ids=["360", "1280"])

TICK_SIZES = """(svg) => [...svg.closest(".chart-box").querySelectorAll("text.tick")]
  .filter((el) => getComputedStyle(el).display !== "none" && el.getBBox().width > 0)
  .map((el) => parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a)"""

WIDER_THAN_PARENT = """(root) => [...root.querySelectorAll("table, svg.chart, .stat")]
  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter((el) => !el.closest(".table-scroll"))
  .map((el) => el.outerHTML.slice(0, 80))"""


SCROLLED_SIDEWAYS = """(root) => [...root.querySelectorAll(".table-scroll")]
  .filter((el) => el.scrollWidth > el.clientWidth + 0.5)
  .map((el) => el.querySelector("table").dataset.testid)"""


def _context(browser: Any, viewport: dict[str, int], watch: OriginWatch) -> Any:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    context.set_default_timeout(15_000)
    watch.attach(context)
    return context


def _readable(page: Any, selector: str) -> None:
    sizes = page.locator(selector).evaluate(TICK_SIZES)
    assert len(sizes) >= 3, selector
    assert min(sizes) >= 12, f"{selector}: labels drawn under 12 px: {sizes}"


@WIDTHS
def test_the_record_shows_every_breakdown_and_the_clv_beside_the_profit(
    live_app: str, browser: Any, viewport: dict[str, int], screenshot_dir: Path
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_in(page, base, "demo-user", "courtside-user", "/record")

    analytics = page.locator("[data-testid=analytics]")
    assert analytics.is_visible()
    for key in ("month", "team", "price", "venue", "band"):
        rows = page.locator(f"[data-testid=breakdown-{key}] tbody tr").count()
        assert rows >= 2, key  # the demo history fills every breakdown
    for testid in ("a-roi", "a-units", "a-odds", "a-win-rate", "a-clv", "a-streak"):
        assert page.locator(f"[data-testid={testid}]").inner_text().strip() not in ("", "\u2013")
    _readable(page, "svg[data-testid=profit-chart]")
    _readable(page, "svg[data-testid=clv-chart]")
    profit = page.locator("svg[data-testid=profit-chart]").bounding_box()
    clv = page.locator("svg[data-testid=clv-chart]").bounding_box()
    assert profit is not None and clv is not None
    if viewport is DESKTOP:  # side by side
        assert abs(profit["y"] - clv["y"]) < 1 and clv["x"] > profit["x"] + profit["width"]
    else:  # one above the other, each the page's width
        assert clv["y"] > profit["y"] + profit["height"]
    point = page.locator("[data-testid=clv-point]").last
    point.focus()
    assert point.locator("text.value").is_visible()
    assert (point.locator("text.value").text_content() or "").endswith("pts")
    assert _overflow(page) == 0
    assert analytics.evaluate(WIDER_THAN_PARENT) == []
    name = "record-analytics" + ("-phone" if viewport is NARROW else "")
    page.locator("[data-testid=record-analytics]").screenshot(
        path=str(screenshot_dir / f"{name}.png")
    )
    context.close()
    watch.check()


@WIDTHS
def test_the_track_record_page_compares_the_model_with_the_market(
    live_app: str, browser: Any, viewport: dict[str, int], screenshot_dir: Path
) -> None:
    base = live_app
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    page.goto(f"{base}/")
    page.locator("nav a[href='/track-record']").click()
    page.wait_for_url(f"{base}/track-record")

    games = int(page.locator("[data-testid=track-games]").inner_text())
    assert games > 100  # every final game of the demo season has a prediction
    assert page.locator("[data-testid=track-season] tbody tr").count() == 1
    assert page.locator("[data-testid=track-month] tbody tr").count() >= 2
    assert page.locator("[data-testid=track-calibration] tbody tr").count() == 10
    series = page.locator("[data-testid=calibration-series]")
    assert [series.nth(i).get_attribute("data-series") for i in range(2)] == ["Model", "Market"]
    _readable(page, "svg[data-testid=calibration-chart]")
    assert _overflow(page) == 0
    assert page.locator("main").evaluate(WIDER_THAN_PARENT) == []
    scrolled = page.locator("main").evaluate(SCROLLED_SIDEWAYS)
    assert scrolled == [], f"tables to scroll sideways: {scrolled}"
    name = "track-record" + ("-phone" if viewport is NARROW else "")
    page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)
    context.close()
    watch.check()
