"""scripts/smoke.py: passes against the real app under uvicorn, fails when a check would."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import smoke

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn on a migrated (empty) SQLite file."""
    workdir = tmp_path_factory.mktemp("smoke")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "REDIS_HOST", "DATABASE_SECRET_ARN", "BEHIND_CLOUDFRONT")
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'smoke.db'}",
        ENVIRONMENT="local",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO / "api"),
    )
    subprocess.run([sys.executable, "-m", "courtside", "migrate"], env=env, check=True, timeout=120)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "courtside.main:app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).close()  # noqa: S310
                break
            except OSError:
                assert process.poll() is None, "uvicorn exited"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_healthy_site_passes_every_check(live_app, capsys):
    assert smoke.main([live_app, "--attempts", "1"]) == 0

    output = capsys.readouterr().out
    assert "4/4 passed" in output
    assert "FAIL" not in output
    assert "/static/app." in output  # the hashed stylesheet was fetched


class _BrokenSite(http.server.BaseHTTPRequestHandler):
    """Ready and serving pages, but the public API answers 500 and unknown paths get HTML."""

    def do_GET(self) -> None:
        if self.path == "/health/ready":
            self._send(200, "application/json", json.dumps({"status": "ready"}))
        elif self.path == "/v1/teams":
            self._send(500, "application/json", json.dumps({"error": {"code": "internal"}}))
        else:
            self._send(404, "text/html", "<h1>Not Found</h1>")

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def broken_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BrokenSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_broken_site_fails_and_says_which_check(broken_site, capsys):
    results = {r.name: r for r in smoke.run(broken_site, attempts=2, pause=0)}

    assert results["GET /health/ready"].ok
    assert not results["GET /v1/teams"].ok
    assert results["GET /v1/teams"].detail == "status 500, expected 200"  # after a retry
    assert not results["GET /login"].ok
    assert not results["GET /v1/<missing> is a JSON 404"].ok
    assert smoke.main([broken_site, "--attempts", "1"]) == 1
    assert "1/4 passed" in capsys.readouterr().out


def test_nothing_listening_is_a_failure_not_a_crash():
    port = _free_port()
    results = smoke.run(f"http://127.0.0.1:{port}", timeout=0.5, attempts=1, pause=0)

    assert [r.ok for r in results] == [False] * 4
    assert "no answer after 1 attempts" in results[0].detail


def test_a_base_url_must_be_http():
    with pytest.raises(ValueError, match="expected an http"):
        smoke.run("ftp://example.com")
