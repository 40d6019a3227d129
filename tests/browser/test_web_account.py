"""An account a person runs themselves, in a real browser at 360 px and 1280 px (issue 22):
change the password, change the e-mail address (confirmed through the link the file
e-mail sink received), forgot password through its e-mailed link, reset the bankroll (the
record lists it), delete the account (no sign-in after). Each case signs up an account of
its own: the live app is shared with the other browser tests."""

from __future__ import annotations

import email as email_parser
import re
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_flow import OriginWatch
from tests.browser.test_web_round2 import DESKTOP, NARROW, _context, _overflow, _sign_in, _sign_up

pytestmark = pytest.mark.browser

VIEWPORTS = pytest.mark.parametrize("viewport", [NARROW, DESKTOP], ids=["360px", "1280px"])
PASSWORD = "a-long-unusual-passphrase-42"  # what `_sign_up` chooses
NEW_PASSWORD = "another-unusual-passphrase-7"


def _mail_link(mail_dir: Path, to: str, subject: str, base: str) -> str:
    """The link in the newest e-mail to `to` with `subject` (waits briefly for the file:
    the sender writes after the commit, while the page is already redirecting)."""
    deadline = time.monotonic() + 10
    while True:
        for path in sorted(mail_dir.glob("*.eml"), reverse=True):
            message = email_parser.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to and message["Subject"] == subject:
                body = message.get_body()
                assert body is not None
                match = re.search(re.escape(base) + r"/\S+\?token=[\w-]+", body.get_content())
                assert match, body.get_content()
                return match.group(0)
        assert time.monotonic() < deadline, f"no e-mail {subject!r} to {to}"
        time.sleep(0.1)


def _log_out(page: Any, base: str) -> None:
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_url(f"{base}/login")


def _flash(page: Any) -> str:
    return str(page.locator("p.flash").first.inner_text())


@VIEWPORTS
def test_change_password_and_email(
    live_app: str, browser: Any, mail_dir: Path, screenshot_dir: Path, viewport: dict[str, int]
) -> None:
    base, width = live_app, viewport["width"]
    username = f"acct-change-{width}"
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_up(page, base, username)
    page.goto(f"{base}/settings")
    page.click("[data-testid=account-link] a")
    page.wait_for_url(f"{base}/account")
    assert _overflow(page) == 0
    page.screenshot(
        path=str(screenshot_dir / ("account-phone.png" if width < 800 else "account.png")),
        full_page=True,
    )

    form = page.locator("[data-testid=password-form]")
    form.locator("#pw-current").fill("not-my-password")
    form.locator("#pw-new").fill(NEW_PASSWORD)
    form.locator("#pw-again").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    assert page.locator("[data-testid=password-error]").inner_text() == (
        "Your current password is not right."
    )
    form = page.locator("[data-testid=password-form]")
    form.locator("#pw-current").fill(PASSWORD)
    form.locator("#pw-new").fill(NEW_PASSWORD)
    form.locator("#pw-again").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/account?done=password")
    assert _flash(page).startswith("Password changed.")
    _log_out(page, base)
    _sign_in(page, base, username, NEW_PASSWORD, "/account")

    new_address = f"{username}-moved@example.org"
    form = page.locator("[data-testid=email-form]")
    form.locator("#em-new").fill(new_address)
    form.locator("#em-current").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/account?done=email")
    assert "sent a confirmation link" in _flash(page)
    assert f"{username}@example.com" in page.locator("main").inner_text()  # not yet changed
    link = _mail_link(mail_dir, new_address, "Courtside: confirm your new e-mail address", base)
    page.goto(link)
    assert page.locator("[data-testid=new-email]").inner_text() == new_address
    assert _overflow(page) == 0
    page.click("[data-testid=confirm-email-form] button[type=submit]")
    page.wait_for_url(f"{base}/account/email/confirm?done=1")
    page.goto(f"{base}/account")
    assert f"({new_address})" in page.locator("main").inner_text()
    context.close()
    watch.check()


@VIEWPORTS
def test_forgot_password_through_the_emailed_link(
    live_app: str, browser: Any, mail_dir: Path, viewport: dict[str, int]
) -> None:
    base, width = live_app, viewport["width"]
    username = f"acct-forgot-{width}"
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_up(page, base, username)
    _log_out(page, base)

    page.click("[data-testid=forgot-link]")
    page.wait_for_url(f"{base}/password/forgot")
    page.fill("#email", f"{username}@example.com")
    page.click("[data-testid=forgot-form] button[type=submit]")
    page.wait_for_url(f"{base}/password/forgot?done=sent")
    assert "If an account uses that address" in _flash(page)
    assert _overflow(page) == 0
    link = _mail_link(mail_dir, f"{username}@example.com", "Courtside: reset your password", base)

    page.goto(link)
    assert _overflow(page) == 0
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_again", NEW_PASSWORD)
    page.click("[data-testid=reset-form] button[type=submit]")
    page.wait_for_url(f"{base}/password/reset?done=1")
    assert "Your password is changed" in page.locator("[data-testid=reset-done]").inner_text()
    page.goto(link)  # used: it works once
    assert "not valid any more" in _flash(page)
    _sign_in(page, base, username, NEW_PASSWORD, "/account")
    context.close()
    watch.check()


@VIEWPORTS
def test_reset_the_bankroll_then_delete_the_account(
    live_app: str, browser: Any, viewport: dict[str, int]
) -> None:
    base, width = live_app, viewport["width"]
    username = f"acct-delete-{width}"
    watch = OriginWatch(base)
    context = _context(browser, viewport, watch)
    page = context.new_page()
    _sign_up(page, base, username)
    page.goto(f"{base}/account")
    page.check("[data-testid=bankroll-form] input[name=confirm]")
    page.click("[data-testid=bankroll-form] button[type=submit]")
    page.wait_for_url(f"{base}/account?done=bankroll")
    assert _flash(page).startswith("Bankroll reset.")
    page.goto(f"{base}/record")
    resets = page.locator("[data-testid=bankroll-resets]").inner_text()
    assert "Bankroll reset on" in resets and "1,000.00 → 1,000.00" in resets
    assert _overflow(page) == 0

    page.goto(f"{base}/account")
    form = page.locator("[data-testid=delete-form]")
    form.locator("#del-current").fill(PASSWORD)
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/account/deleted")
    assert "nobody can sign in to it again" in page.locator("[data-testid=deleted]").inner_text()
    assert _overflow(page) == 0
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    assert "Incorrect username or password." in _flash(page)
    context.close()
    watch.check()
