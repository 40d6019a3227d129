"""The load run's pieces (scripts/bench/load_run.py), each on real output: Redis's
`INFO commandstats`, /proc, the statement counter the app under uvicorn serves, the mix.

The whole run (migrate, seed, uvicorn, five phases) takes minutes on a busy machine, too long
for the suite; `make bench` runs it, and docs/capacity.md shows its last figures."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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


def _burn(seconds: float, clock: Callable[[], float]) -> None:
    start = clock()
    while clock() - start < seconds:
        sum(range(10_000))


def test_app_cpu_is_the_processes_in_seconds_its_ended_threads_included() -> None:
    child = subprocess.Popen([sys.executable, "-c", "sum(range(3_000_000))"])
    child.wait()
    assert load_run.process_cpu_seconds(child.pid) == 0.0  # reaped: /proc has no entry
    first, process_first = load_run.process_cpu_seconds(os.getpid()), time.process_time()
    burned: list[float] = []

    def work() -> None:
        _burn(0.3, time.thread_time)
        burned.append(time.thread_time())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()  # ended: its CPU is no longer in any /proc/<pid>/task entry
    used = load_run.process_cpu_seconds(os.getpid()) - first
    process_used = time.process_time() - process_first  # the same CPU, as Python counts it
    assert used >= burned[0] - 0.05  # the ended thread's CPU is counted
    assert abs(used - process_used) <= 0.05 + 0.1 * process_used  # seconds, not ticks or ns


def test_backend_cpu_is_read_only_from_a_local_postgres_process() -> None:
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    assert load_run.backend_cpu_seconds(int(pids.split()[0])) > 0
    with pytest.raises(SystemExit, match="not a postgres process"):
        load_run.backend_cpu_seconds(os.getpid())  # python, not postgres


def test_a_phase_whose_backend_exited_is_refused() -> None:
    before = load_run.Counters(app_cpu=1.0, db_cpu={11: 0.5, 12: 0.5}, redis=0, statements=0)
    after = load_run.Counters(app_cpu=2.0, db_cpu={11: 0.7, 13: 0.1}, redis=0, statements=0)
    with pytest.raises(SystemExit, match=r"backends \[12\] closed during the phase"):
        after.minus(before)
    grown = load_run.Counters(
        app_cpu=2.0, db_cpu={11: 0.7, 12: 0.6, 13: 0.1}, redis=0, statements=0
    )
    assert grown.minus(before)["db_cpu"] == pytest.approx(0.4)  # a new backend counts in full


def test_the_app_keeps_one_pooled_connection_per_request_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from courtside.settings import DatabaseSettings  # lazy: keeps the app's settings out of
    # this module's import (load_run is imported as the script runs it)

    env = load_run.app_environment("postgresql+asyncpg://x@127.0.0.1/x", "redis://x", 12)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = DatabaseSettings()
    assert (settings.db_pool_size, settings.db_max_overflow) == (12, 0)  # nothing closes
    assert settings.db_pool_recycle_seconds > 3600  # nor recycles during a run


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
    report = {
        "latencies": [0.001 * n for n in range(1, 101)],
        "elapsed": 2.0,
        "statuses": {"200": 60, "201": 40},
    }
    used = {"app_cpu": 0.5, "db_cpu": 0.1, "redis": 150, "statements": 100}
    figures = load_run.summarise(report, used)
    assert figures["rps"] == 50.0
    assert (figures["p50_ms"], figures["p99_ms"]) == (50.0, 99.0)
    assert (figures["app_cpu_ms"], figures["db_cpu_ms"]) == (5.0, 1.0)
    assert (figures["statements"], figures["redis_commands"]) == (1.0, 1.5)


def test_a_phase_with_an_error_answer_or_no_request_stops_the_run() -> None:
    used = {"app_cpu": 0.5, "db_cpu": 0.1, "redis": 150, "statements": 100}
    errors = {"latencies": [0.001] * 10, "elapsed": 1.0, "statuses": {"200": 9, "503": 1}}
    with pytest.raises(SystemExit, match=r"unexpected answers in the phase: \{'503': 1\}"):
        load_run.summarise(errors, used)
    with pytest.raises(SystemExit, match="no request completed"):
        load_run.summarise({"latencies": [], "elapsed": 1.0, "statuses": {}}, used)


def test_a_run_that_fails_to_start_leaves_no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis failing to start (after the database was created): the database is dropped."""

    def refuse(_self: OwnRedis) -> OwnRedis:
        raise RuntimeError("redis-server did not start")

    monkeypatch.setattr(OwnRedis, "start", refuse)
    before = _load_run_databases()
    with pytest.raises(RuntimeError, match="redis-server did not start"):
        load_run.measure(requests=10, seconds=1, concurrency=1)
    assert _load_run_databases() - before == set()


def _load_run_databases() -> set[str]:
    sql = "SELECT datname FROM pg_database WHERE datname LIKE 'courtside_bench_load_%'"
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    result = subprocess.run(["psql", url.replace("+asyncpg", ""), "-Atc", sql],
                            capture_output=True, text=True, check=True)  # fmt: skip
    return set(result.stdout.split())


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
