"""Latency and throughput of cached GETs with and without a Redis outage, in the same run.

    .venv/bin/python scripts/bench/redis_outage.py [--seconds 10] [--rounds 2]

Courtside under uvicorn (one worker, the demo season in SQLite) with a redis-server of its own
on a free port; `wrk` with 16 connections on cached `GET /v1/teams` for N seconds, twice per
round: Redis up, then Redis frozen for the whole run (SIGSTOP: every call waits for the
socket timeout, the worst kind of outage). Printed: p50, p99 and requests/s of each, and the
outage's ratios to the normal run. While Redis hangs the app serves from the database: the
ratios show what the outage costs once the circuit is open (one probe per retry window).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Figure,
    child_env,
    free_port,
    load_average,
    median,
    report,
    sqlite_demo,
    write_floor,
)
from throughput import Server, require_wrk, wrk

CONNECTIONS = 16


class Redis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "PING"], capture_output=True, text=True
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait()


def measure(seconds: float, rounds: int) -> list[Figure]:
    require_wrk()
    runs: dict[str, list[dict[str, float]]] = {"up": [], "frozen": []}
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp:
        directory = write_floor(Path(tmp))
        redis = Redis(directory)
        env = child_env(sqlite_demo(directory), directory)
        env.pop("AWS_LAMBDA_FUNCTION_NAME")
        env.update(
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            REDIS_SOCKET_TIMEOUT_SECONDS="0.25",
            REDIS_RETRY_AFTER_FAILURE_SECONDS="5",
        )
        server = Server("courtside.main:app", env)
        try:
            wrk(server.url, 1, CONNECTIONS)
            for _ in range(rounds):
                print(f"  Redis up ({load_average()}) ...", flush=True)
                runs["up"].append(wrk(server.url, seconds, CONNECTIONS))
                print(f"  Redis frozen ({load_average()}) ...", flush=True)
                redis.process.send_signal(signal.SIGSTOP)
                try:
                    runs["frozen"].append(wrk(server.url, seconds, CONNECTIONS))
                finally:
                    redis.process.send_signal(signal.SIGCONT)
                time.sleep(6)  # one retry window: the circuit closes again
        finally:
            server.stop()
            redis.stop()
    figures = []
    for key, unit, goal in (("50%", "ms", "-"), ("99%", "ms", "-"), ("rps", "req/s", "-")):
        up = median([run[key] for run in runs["up"]])
        frozen = median([run[key] for run in runs["frozen"]])
        label = {"50%": "p50", "99%": "p99", "rps": "throughput"}[key]
        figures.append(
            Figure(
                name=f"Redis outage, c={CONNECTIONS}: {label} (up / frozen)",
                floor=up,
                project=frozen,
                unit=unit,
                goal=goal,
                ratio=frozen / up,
            )
        )
    failed = sum(run["non_2xx"] for run in runs["up"] + runs["frozen"])
    if failed:
        raise SystemExit(f"{failed:.0f} responses were not 2xx")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    return report(lambda: measure(args.seconds, args.rounds))


if __name__ == "__main__":
    raise SystemExit(main())
