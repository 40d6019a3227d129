"""The app under a real uvicorn process, with its own migrated SQLite file and demo data,
and Debian's headless Chromium driven by Playwright (never a downloaded browser).

`make browser-deps` installs `/usr/bin/chromium`; `make test` runs it first.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 60
SCREENSHOTS = REPO / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str, mail_dir: Path | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "REDIS_HOST", "DATABASE_SECRET_ARN", "BEHIND_CLOUDFRONT")
    }
    env.update(
        DATABASE_URL=database_url,
        ENVIRONMENT="local",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(REPO / "api"), str(REPO)]),
        LEADERBOARD_MIN_BETS="1",
        # Every browser test signs up its own users from 127.0.0.1: more than the default
        # limit of 10 an hour when the files share one app (one xdist worker, or -n 0).
        SIGNUP_MAX_PER_IP="100",
    )
    if mail_dir is not None:
        env.update(EMAIL_BACKEND="file", EMAIL_FILE_DIR=str(mail_dir))
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"uvicorn did not answer {url} within {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live app's folder: its SQLite file, its log and its e-mail (`mail/`)."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_app(live_workdir: Path) -> Iterator[str]:
    """Base URL of the app under uvicorn: migrated, demo season, demo accounts, and a
    settled betting history for demo-user. E-mail goes to `mail/` beside the database (see
    `mail_dir`); one settled bet ranks a user on the leaderboard."""
    workdir = live_workdir
    env = _env(f"sqlite+aiosqlite:///{workdir / 'courtside.db'}", workdir / "mail")
    _run(["-m", "courtside", "migrate"], env)
    _run(["scripts/demo_data.py", "load"], env)
    _run(["scripts/demo_bets.py", "--user", "demo-user", "--games", "40"], env)

    port = _free_port()
    log = workdir / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "courtside.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-proxy-headers",
                "--no-access-log",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/health", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests, which run one after another (this directory is one
    work unit of `tests.distribution`): starting Playwright's driver and Chromium took ~1.5 s
    of CPU a test. Package-scoped, not session-scoped: while Playwright's sync API is open its
    event loop counts as running in this thread, which would break every async test that runs
    after it, and pytest closes a package's fixtures as soon as the next test is outside the
    package. Each test opens its own contexts (cookies, storage and cache of their own), and
    `_close_contexts` closes any a test leaves open, so each starts on an empty browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _close_contexts(browser: Any) -> Iterator[None]:
    """After each test (every test here drives the browser): close the contexts it left open
    (a test that fails half-way leaves its own), so the next test's browser has none."""
    yield
    for context in browser.contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`docs/screenshots` when UPDATE_SCREENSHOTS=1 (`make screenshots`), else a temp dir,
    so an ordinary test run never rewrites committed files."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def mail_dir(live_workdir: Path) -> Path:
    """Where the live app's file e-mail sender writes (`EMAIL_FILE_DIR`)."""
    return live_workdir / "mail"
