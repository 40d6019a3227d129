"""A local load run: the app under uvicorn, driven from another process, measured from outside.

    .venv/bin/python scripts/bench/load_run.py [--requests 1500] [--seconds 20] [--concurrency 8]
    .venv/bin/python scripts/bench/load_run.py --refresh   # + the in-process figures + the doc

The app (`uvicorn load_run_app:app`, one worker, as `make run` serves it) runs against a
database of its own on this machine's PostgreSQL (BENCH_DATABASE_URL; migrated, four teams,
twenty games today with lines, a user per twenty bets) and a redis-server of its own (the
shared one's `INFO commandstats` counts every other client too). A load generator in a
separate process (asyncio + httpx, `--concurrency` requests in flight) drives one phase per
kind of request the capacity model prices, then one phase of the model's mix at the origin:

- public hit: `GET /v1/teams` (reference TTL: a Redis hit after the first);
- public miss: `GET /v1/games?date=<today>` with `CACHE_TTL_SECONDS=0` (nothing is stored: every
  request builds from PostgreSQL; a real miss also writes the entry, one Redis command more);
- signed-in read: `GET /v1/me/bets` with a bearer token;
- bet placement: `POST /v1/me/bets`, each a new (user, game) pair.

Every phase is bounded by a count (`--requests`) AND a time (`--seconds`: a request still
running then is cut and not counted). Between phases it reads, from outside the app: the
uvicorn process's CPU (/proc/<pid>/stat, ended threads included), the CPU of the PostgreSQL
backends serving the run's database (pids from pg_stat_activity, local postgres processes
only, /proc/<pid>/schedstat; the app's pool keeps one connection per request in flight and
closes none, and a phase whose backend exited is refused), Redis commands
(`INFO commandstats`), and the statements the app executed (`load_run_app`:
pg_stat_statements is not preloaded on this machine's server). The load generator reports
latency percentiles and the achieved rate; any answer but a 2xx stops the run. The figures go into
scripts/bench/capacity_figures.json under "load_run" (the in-process figures of capacity.py
stay beside them); `scripts/capacity_model.py --write` makes docs/capacity.md from both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "api"))

from common import DEFAULT_POSTGRES, REPO, Figure, _admin, _admin_url, load_average, percentile

FIGURES_FILE = Path(__file__).resolve().parent / "capacity_figures.json"
KINDS = ("public_hit", "public_miss", "signed_in_read", "bet_placement")
STATEMENTS_PATH = "/__load_run/statements"
BENCH = Path(__file__).resolve().parent
Requests = list[dict[str, Any]]
"""Requests for the load generator: method, path, and optionally headers and a JSON body."""


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used, its threads that have ended
    included: utime + stime of /proc/<pid>/stat, in clock ticks (SC_CLK_TCK); 0 for a
    process gone. For the app (uvicorn runs threads: anyio's pool, the DNS resolver)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": state is field 3
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # fields 14, 15


def backend_cpu_seconds(pid: int) -> float:
    """CPU time a PostgreSQL backend has run (/proc/<pid>/schedstat, in ns: finer than the
    ticks of /proc/<pid>/stat; a backend is one thread). Stops the run if `pid` is not a
    local postgres process (a server on another machine, or in a container whose pids are
    not this machine's): its CPU cannot be read here."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        schedstat = Path(f"/proc/{pid}/schedstat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        comm, schedstat = "", ""
    if comm != "postgres":
        raise SystemExit(
            f"backend pid {pid} is not a postgres process on this machine ({comm or 'none'}):"
            " the load run needs BENCH_DATABASE_URL's server to run here"
        )
    return int(schedstat.split()[0]) / 1e9


def redis_commands(info: str) -> int:
    """Calls in `INFO commandstats` output, the INFO commands themselves left out."""
    total = 0
    for line in info.splitlines():
        name, _, rest = line.partition(":")
        if not name.startswith("cmdstat_") or name in ("cmdstat_info", "cmdstat_ping"):
            continue
        fields = dict(part.split("=", 1) for part in rest.split(","))
        total += int(fields["calls"])
    return total


@dataclass
class Counters:
    """What the app has consumed so far, read from outside."""

    app_cpu: float
    db_cpu: dict[int, float]
    redis: int
    statements: int

    def minus(self, before: Counters) -> dict[str, float]:
        """What the phase used. Stops the run if a backend seen before it has gone: the CPU
        it used in the phase left with it (the app's pool must keep its connections)."""
        gone = sorted(set(before.db_cpu) - set(self.db_cpu))
        if gone:
            raise SystemExit(
                f"PostgreSQL backends {gone} closed during the phase: their CPU would be lost"
                " (the app's pool closed connections: DB_POOL_SIZE, DB_MAX_OVERFLOW=0?)"
            )
        db = sum(cpu - before.db_cpu.get(pid, 0.0) for pid, cpu in self.db_cpu.items())
        return {
            "app_cpu": self.app_cpu - before.app_cpu,
            "db_cpu": db,
            "redis": self.redis - before.redis,
            "statements": self.statements - before.statements,
        }


# The load generator: a separate process (`--drive`), so its CPU is not the app's.


async def _drive(plan: dict[str, Any]) -> dict[str, Any]:
    import httpx

    requests: Requests = plan["requests"]
    deadline = time.monotonic() + plan["seconds"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    position = iter(range(len(requests)))

    cut = [0]

    async def worker(client: httpx.AsyncClient) -> None:
        for index in position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            request = requests[index]
            started = time.perf_counter()
            try:
                response = await client.request(
                    request["method"],
                    request["path"],
                    json=request.get("json"),
                    headers=request.get("headers"),
                    timeout=min(30.0, remaining),  # the phase ends at its time bound
                )
            except httpx.TimeoutException:
                cut[0] += 1  # cut at the time bound: not a completed request
                return
            latencies.append(time.perf_counter() - started)
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1

    limits = httpx.Limits(max_connections=plan["concurrency"])
    async with httpx.AsyncClient(base_url=plan["base"], limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(plan["concurrency"])))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "elapsed": elapsed, "statuses": statuses, "cut": cut[0]}


def drive(base: str, requests: Requests, seconds: float, concurrency: int) -> dict[str, Any]:
    """Run the load generator in a child process; its report (latencies, elapsed, statuses)."""
    plan = {"base": base, "requests": requests, "seconds": seconds, "concurrency": concurrency}
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--drive"],
            input=json.dumps(plan),
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 60,  # the time bound, plus its start and report
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(
            f"load generator still running {seconds + 60:g} s after it started"
        ) from None
    if completed.returncode != 0:
        raise SystemExit(f"load generator failed:\n{completed.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def summarise(report: dict[str, Any], used: dict[str, float]) -> dict[str, Any]:
    """Per-request figures of one phase from the generator's report and the counter deltas.
    Stops the run on a phase without a completed request, or with any answer but a 2xx
    (a 4xx or a 503 is not the work the model prices)."""
    count = len(report["latencies"])
    latencies = report["latencies"]
    if count == 0:
        raise SystemExit("no request completed in the phase: nothing to divide by")
    unexpected = {code: n for code, n in report["statuses"].items() if not code.startswith("2")}
    if unexpected:
        raise SystemExit(f"unexpected answers in the phase: {unexpected}")
    return {
        "requests": count,
        "seconds": round(report["elapsed"], 3),
        "rps": round(count / report["elapsed"], 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "app_cpu_ms": round(used["app_cpu"] / count * 1000, 3),
        "db_cpu_ms": round(used["db_cpu"] / count * 1000, 3),
        "statements": round(used["statements"] / count, 2),
        "redis_commands": round(used["redis"] / count, 2),
        "statuses": report["statuses"],
    }


# The run: database, Redis, uvicorn, the phases.


async def _backend_pids(server: str, database: str) -> list[int]:
    import asyncpg

    connection = await asyncpg.connect(server.replace("+asyncpg", ""))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()
    return [int(row["pid"]) for row in rows]


class Run:
    """The app under uvicorn with its own database and Redis; `counters()` between phases."""

    def __init__(self, server: str, database: str, redis: Any, app: Any) -> None:
        self.server, self.database, self.redis, self.app = server, database, redis, app
        self.base = f"http://127.0.0.1:{app.port}"

    def counters(self) -> Counters:
        import httpx

        statements = httpx.get(f"{self.base}{STATEMENTS_PATH}", timeout=10).json()
        pids = asyncio.run(_backend_pids(self.server, self.database))
        return Counters(
            app_cpu=process_cpu_seconds(self.app.process.pid),
            db_cpu={pid: backend_cpu_seconds(pid) for pid in pids},
            redis=redis_commands(self.redis.cli("INFO", "commandstats")),
            statements=int(statements["statements"]),
        )

    def phase(self, requests: Requests, seconds: float, concurrency: int) -> dict[str, Any]:
        before = self.counters()
        report = drive(self.base, requests, seconds, concurrency)
        return summarise(report, self.counters().minus(before))


def _plans(
    headers: list[dict[str, str]], games: list[int], day: str, count: int
) -> dict[str, Requests]:
    pairs = [(h, g) for h in headers for g in games]
    return {
        "public_hit": [{"method": "GET", "path": "/v1/teams"}] * count,
        "public_miss": [{"method": "GET", "path": f"/v1/games?date={day}"}] * count,
        "signed_in_read": [
            {"method": "GET", "path": "/v1/me/bets", "headers": headers[i % len(headers)]}
            for i in range(count)
        ],
        "bet_placement": [
            {
                "method": "POST",
                "path": "/v1/me/bets",
                "headers": h,
                "json": {"game_id": g, "side": "home", "stake": 1},
            }
            for h, g in pairs[:count]
        ],
    }


def _mix(plans: dict[str, Requests], shares: dict[str, float], count: int) -> Requests:
    """`count` requests interleaved in the model's origin mix (largest remainder, in order)."""
    total = sum(shares.values())
    taken = dict.fromkeys(shares, 0)
    out: Requests = []
    for n in range(1, count + 1):
        kind = max(shares, key=lambda k: shares[k] / total * n - taken[k])
        out.append(plans[kind][taken[kind] % len(plans[kind])])
        taken[kind] += 1
    return out


def app_environment(url: str, redis_url: str, concurrency: int) -> dict[str, str]:
    """The app's environment: this machine's, without the settings of another deployment,
    and a pool of `concurrency` connections that never closes one during the run (no
    overflow, which is closed when returned to a full pool; no recycling): a backend that
    exits takes the CPU it used in the phase with it (`Counters.minus`)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "OTEL_", "CACHE_", "DB_"))
        and key not in ("BEHIND_CLOUDFRONT", "AWS_LAMBDA_FUNCTION_NAME")
    }
    env.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        ENVIRONMENT="local",
        LOG_LEVEL="INFO",
        CACHE_TTL_SECONDS="0",
        DB_POOL_SIZE=str(concurrency),
        DB_MAX_OVERFLOW="0",
        DB_POOL_RECYCLE_SECONDS=str(24 * 3600),
        PYTHONPATH=f"{REPO / 'api'}{os.pathsep}{BENCH}",
    )
    return env


def measure(requests: int, seconds: float, concurrency: int) -> dict[str, Any]:
    """The whole run; returns the "load_run" section of capacity_figures.json."""
    from capacity import _seed
    from throughput import Server

    from scripts.capacity_model import LOAD_RUN_METHOD, origin_shares
    from tests.servers import OwnRedis

    os.environ.setdefault("ENVIRONMENT", "local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    server = os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    name = f"courtside_bench_load_{uuid.uuid4().hex[:8]}"
    before = load_average()
    with contextlib.ExitStack() as cleanup:  # each cleanup registered before its resource
        cleanup.callback(
            lambda: asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        )
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="courtside-load-"))
        redis = OwnRedis(Path(tmp))
        cleanup.callback(redis.stop)
        redis.start()
        url = _admin_url(server, name).replace("postgresql://", "postgresql+asyncpg://", 1)
        from courtside.migrate import upgrade

        upgrade(url)
        # Enough (user, game) pairs for every placement: the phase's and the mix's.
        headers, games, day = asyncio.run(_seed(url, -(-requests * 2 // 20)))
        app = Server("load_run_app:app", app_environment(url, redis.url, concurrency))
        cleanup.callback(app.stop)
        run = Run(server, name, redis, app)
        plans = _plans(headers, games, day, requests * 2)
        run.phase(plans["public_hit"][:50], seconds, concurrency)  # warm: pool, cache, imports
        phases = {k: run.phase(plans[k][:requests], seconds, concurrency) for k in KINDS}
        rest = {k: p[requests:] if k == "bet_placement" else p for k, p in plans.items()}
        phases["mix"] = run.phase(_mix(rest, origin_shares(), requests), seconds, concurrency)
    return {
        "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "method": LOAD_RUN_METHOD,
        "python": sys.version.split()[0],
        "load_average": {"before": before, "after": load_average()},
        "requests_per_phase": requests,
        "seconds_per_phase": seconds,
        "concurrency": concurrency,
        "figures": phases,
    }


def write(section: dict[str, Any]) -> None:
    """Into capacity_figures.json under "load_run", the in-process figures kept."""
    data = json.loads(FIGURES_FILE.read_text())
    data["load_run"] = section
    FIGURES_FILE.write_text(json.dumps(data, indent=2) + "\n")


def lines(section: dict[str, Any]) -> list[Figure]:
    """`make bench`'s summary lines: each phase's rate, its CPU and work per request."""
    return [
        Figure(
            name=f"load run: {kind.replace('_', ' ')}",
            floor=None,
            project=f["rps"],
            unit="req/s",
            goal="report",
            note=f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms; CPU per request: app "
            f"{f['app_cpu_ms']:.2f} ms, PostgreSQL {f['db_cpu_ms']:.3f} ms; "
            f"{f['statements']:g} statements, {f['redis_commands']:g} Redis commands",
        )
        for kind, f in section["figures"].items()
    ]


def run(requests: int, seconds: float, concurrency: int) -> list[Figure]:
    """Measure, write into capacity_figures.json, return the summary lines."""
    section = measure(requests, seconds, concurrency)
    write(section)
    return lines(section)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="per phase (count bound)")
    parser.add_argument("--seconds", type=float, default=20, help="per phase (time bound)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="capacity.py's in-process figures first, docs/capacity.md after",
    )
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        print(json.dumps(asyncio.run(_drive(json.loads(sys.stdin.read())))))
        return 0
    print(load_average(), flush=True)
    if args.refresh:
        import capacity

        for figure in capacity.measure():
            print(figure.line(), flush=True)
    for figure in run(args.requests, args.seconds, args.concurrency):
        print(figure.line(), flush=True)
    print(load_average())
    print(f"written: {FIGURES_FILE}")
    if args.refresh:
        from scripts import capacity_model

        print(f"written: {capacity_model.write_document()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
