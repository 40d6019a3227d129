"""`make run` on the embedded defaults: migrates, loads the demo season, serves, prints URLs."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_run_serves_the_demo_season(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "REDIS_HOST")
    }
    env.update(PORT=str(port), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        teams = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                teams = httpx.get(f"http://127.0.0.1:{port}/v1/teams", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert teams is not None, "make run did not serve"
        assert teams.status_code == 200
        assert teams.json()["total"] == 30
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/docs" in output
    assert "demo season loaded" in output
