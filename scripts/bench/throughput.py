"""Requests per second under uvicorn (one worker), cached GETs at 32 connections, vs the floor.

    .venv/bin/python scripts/bench/throughput.py [--seconds 6] [--rounds 3]

The floor app and Courtside (the demo season in SQLite, the in-process cache, JSON logs at
INFO to /dev/null) are each served by `uvicorn` with one worker, as `make run` serves it, and
driven by `wrk` (Debian's package; `make bench` installs it) with 32 connections on
`GET /v1/teams` (a cache hit after the first). Rounds alternate floor and app.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REPO,
    Figure,
    child_env,
    free_port,
    median,
    report,
    sqlite_demo,
    write_floor,
)

CONNECTIONS = 32


class Server:
    """`uvicorn <app>` on a free port, stdout (its logs) to /dev/null."""

    def __init__(self, app: str, env: dict[str, str], extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"),
                *("--port", str(self.port), "--no-access-log", "--no-proxy-headers"),
                *(extra or []),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/v1/teams"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"uvicorn {app} did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk(url: str, seconds: float, connections: int = CONNECTIONS) -> dict[str, float]:
    """wrk's requests/s and latency percentiles (ms) for `url`."""
    completed = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    output = completed.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise SystemExit(f"wrk printed no rate:\n{output}")
    rate = float(found.group(1))
    result = {"rps": rate}
    for label in ("50%", "99%"):
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[label] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `apt-get install wrk` (make bench installs it)")


def measure(seconds: float, rounds: int) -> list[Figure]:
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp:
        directory = write_floor(Path(tmp))
        env = child_env(sqlite_demo(directory), directory)
        env.pop("AWS_LAMBDA_FUNCTION_NAME")
        samples: dict[str, list[float]] = {"floor": [], "app": []}
        for _ in range(rounds):
            for name, target in (("floor", "floor_app:app"), ("app", "courtside.main:app")):
                server = Server(target, env)
                try:
                    wrk(server.url, 1)  # warm: the cache fills, the JIT-less path settles
                    result = wrk(server.url, seconds)
                    if result["non_2xx"]:
                        raise SystemExit(f"{name}: {result['non_2xx']:.0f} non-2xx responses")
                    samples[name].append(result["rps"])
                finally:
                    server.stop()
    floor, app = median(samples["floor"]), median(samples["app"])
    ratio = app / floor
    return [
        Figure(
            name=f"uvicorn, 1 worker, c={CONNECTIONS}, cached GETs",
            floor=floor,
            project=app,
            unit="req/s",
            goal=">= 0.8x",
            ratio=ratio,
            met=ratio >= 0.8,
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    return report(lambda: measure(args.seconds, args.rounds))


if __name__ == "__main__":
    os.environ.pop("PYTHONPATH", None)
    raise SystemExit(main())
