"""The load run's pieces (scripts/bench/load_run.py), each on real output: Redis's
`INFO commandstats`, /proc, the statement counter the app under uvicorn serves, the mix.

The whole run (migrate, seed, uvicorn, five phases) takes minutes on a busy machine, too long
for the suite; `make bench` runs it, and docs/capacity.md shows its last figures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from scripts import capacity_model
from tests.servers import OwnRedis

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "bench"))  # as they run
import load_run  # scripts/bench is on mypy_path: one module name (load_run), not two


def test_redis_commands_are_counted_from_commandstats(own_redis: OwnRedis) -> None:
    before = load_run.redis_commands(own_redis.cli("INFO", "commandstats"))
    for n in range(5):
        own_redis.cli("SET", f"key{n}", "value")
    own_redis.cli("GET", "key0")
    after = load_run.redis_commands(own_redis.cli("INFO", "commandstats"))
    assert after - before == 6  # the INFO calls themselves are not counted


def test_cpu_is_read_for_every_thread_of_a_live_process_and_zero_for_a_gone_one() -> None:
    child = subprocess.Popen([sys.executable, "-c", "sum(range(3_000_000))"])
    child.wait()
    assert load_run.process_cpu_seconds(child.pid) == 0.0  # reaped: /proc has no entry
    first = load_run.process_cpu_seconds(os.getpid())
    sum(range(1_000_000))
    assert load_run.process_cpu_seconds(os.getpid()) > first > 0


async def test_the_app_counts_the_statements_of_every_engine(connection: AsyncConnection) -> None:
    import load_run_app  # lazy: it imports the whole app, which the other tests here need not

    transport = httpx.ASGITransport(app=load_run_app.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://load") as client:
        before = (await client.get(load_run.STATEMENTS_PATH)).json()["statements"]
        for _ in range(3):
            await connection.execute(text("SELECT 1"))
        after = (await client.get(load_run.STATEMENTS_PATH)).json()["statements"]
        assert after - before == 3
        assert (await client.get("/health")).status_code != 404  # the rest is the app's


def test_a_phase_is_summarised_per_request() -> None:
    report = {"latencies": [0.001 * n for n in range(1, 101)], "elapsed": 2.0, "statuses": {}}
    used = {"app_cpu": 0.5, "db_cpu": 0.1, "redis": 150, "statements": 100}
    figures = load_run.summarise(report, used)
    assert figures["rps"] == 50.0
    assert (figures["p50_ms"], figures["p99_ms"]) == (50.0, 99.0)
    assert (figures["app_cpu_ms"], figures["db_cpu_ms"]) == (5.0, 1.0)
    assert (figures["statements"], figures["redis_commands"]) == (1.0, 1.5)


def test_the_mix_phase_follows_the_models_origin_shares() -> None:
    shares = capacity_model.origin_shares()
    plans = {kind: [{"kind": kind, "n": n} for n in range(50)] for kind in shares}
    mix = load_run._mix(plans, shares, 1_000)
    total = sum(shares.values())
    for kind, share in shares.items():
        taken = sum(1 for request in mix if request["kind"] == kind)
        assert abs(taken - 1_000 * share / total) <= 1, kind
    bets = [r["n"] for r in mix if r["kind"] == "bet_placement"]
    assert bets[:50] == list(range(50))  # each placement its own (user, game) pair, in order


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    """A real HTTP server on a free port of 127.0.0.1 (the standard library's)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_load_generator_stops_at_its_count_and_at_its_time(server: str) -> None:
    plan = [{"method": "GET", "path": "/ok"}] * 40 + [{"method": "GET", "path": "/gone"}] * 10
    counted = load_run.drive(server, plan, seconds=600, concurrency=4)  # the count bounds it
    assert len(counted["latencies"]) == 50
    assert counted["statuses"] == {"200": 40, "404": 10}
    timed = load_run.drive(server, plan, seconds=0, concurrency=4)  # the time bounds it
    assert timed["latencies"] == [] and timed["statuses"] == {}
