"""`make run` on the embedded defaults: migrates, loads the demo season, serves, prints URLs;
and, served exactly that way, it takes the client IP from the socket, not from headers."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
LOGIN_LIMIT = 3
SIGNUP_LIMIT = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The base URL of `make run` (small per-IP limits), and the file with its output."""
    workdir = tmp_path_factory.mktemp("make-run")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in ("DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "REDIS_HOST", "BEHIND_CLOUDFRONT")
    }
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'run.db'}",
        LOGIN_MAX_FAILURES_PER_IP=str(LOGIN_LIMIT),
        SIGNUP_MAX_PER_IP=str(SIGNUP_LIMIT),
    )
    output = workdir / "make-run.log"
    with output.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"make run did not serve:\n{output.read_text()}")
        yield base, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_make_run_serves_the_demo_season(make_run):
    base, output = make_run
    teams = httpx.get(f"{base}/v1/teams", timeout=5)
    assert teams.status_code == 200
    assert teams.json()["total"] == 30
    assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
    assert httpx.get(f"{base}/", timeout=5).status_code == 200
    printed = output.read_text()
    assert f"{base}/docs" in printed
    assert "demo season loaded" in printed


def test_rotating_x_forwarded_for_does_not_lift_the_login_limit(make_run):
    base, _ = make_run
    statuses = [
        httpx.post(
            f"{base}/token",
            data={"username": f"nobody{n}", "password": "wrong-password-1"},
            headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"},
            timeout=10,
        ).status_code
        for n in range(LOGIN_LIMIT + 2)
    ]
    assert statuses == [401] * LOGIN_LIMIT + [429, 429]


def test_rotating_x_forwarded_for_does_not_lift_the_signup_limit(make_run):
    base, _ = make_run
    statuses = [
        httpx.post(
            f"{base}/v1/auth/signup",
            json={
                "username": f"rotator{n}",
                "email": f"rotator{n}@example.test",
                "password": "a-long-enough-passphrase",
            },
            headers={"X-Forwarded-For": f"203.0.113.{100 + n}"},
            timeout=10,
        ).status_code
        for n in range(SIGNUP_LIMIT + 2)
    ]
    assert statuses == [201] * SIGNUP_LIMIT + [429, 429]
