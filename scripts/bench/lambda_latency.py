"""Cold start and warm latency of the Lambda handler, against the floor (a script, not a test).

    .venv/bin/python scripts/bench/lambda_latency.py [--cold-runs 11] [--warm-invocations 6000]

(a) Cold start: a fresh `python` process imports the handler and answers one Function URL
    event for `GET /v1/teams` (a cached public GET; in a fresh process the cache is empty, so
    this is the database read plus the cache fill) against a migrated SQLite file holding the
    demo season, with the in-process cache. Whole-process wall time, median of N runs, app and
    floor interleaved; the child also reports how that time splits into import and invocation.
    The same for each service's own entry point of a split deployment (docs/services.md):
    `public` answering `GET /v1/teams`, `web` the login page, `ingest` a batch without an API
    key (401), interleaved with the same floor.
(b) Warm: one process answers the same event many times; median and p99 per invocation, in
    rounds that alternate floor and app processes:
    - a cached `GET /v1/teams` with the in-process cache, and with Redis (BENCH_REDIS_URL,
      default this machine's; a key prefix of its own);
    - a cache miss on PostgreSQL (BENCH_DATABASE_URL's server, a database of its own with the
      demo season; caching off) for `/v1/teams`, `/v1/games`, `/v1/standings` and the 7-day
      odds deviation, with raw asyncpg running the teams query as a reference;
    - `GET /health`: the middleware and routing alone.
(c) Where the cold start goes: whole-process import time by layer, and `-X importtime` by
    package and by Courtside module.

Logs are on (LOG_LEVEL=INFO, one JSON line per request, as on Lambda), written to /dev/null.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    APP_IMPORT,
    EVENT,
    FLOOR_IMPORT,
    Figure,
    child_env,
    load_average,
    median,
    percentile,
    postgres_demo,
    redis_url,
    run_child,
    sqlite_demo,
    write_floor,
)

COLD_CHILD = """
import json, sys, time
started = time.perf_counter()
{import_line}
imported = time.perf_counter()
event = json.load(open(sys.argv[1]))
if len(sys.argv) > 2:
    event["rawPath"] = event["requestContext"]["http"]["path"] = sys.argv[2]
    event["requestContext"]["http"]["method"] = sys.argv[3]
    event["rawQueryString"] = ""
class Context:
    aws_request_id = "bench-cold"
    client_context = None
    identity = None
response = handler(event, Context())
answered = time.perf_counter()
assert response["statusCode"] == int(sys.argv[4] if len(sys.argv) > 4 else 200), response
print(json.dumps({{"import_ms": (imported - started) * 1000,
                  "invoke_ms": (answered - imported) * 1000}}), file=RESULT)
"""

WARM_CHILD = """
import json, sys, time
{import_line}
event = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
event["rawPath"] = event["requestContext"]["http"]["path"] = sys.argv[3]
event["rawQueryString"] = sys.argv[4]
class Context:
    aws_request_id = "bench-warm"
    client_context = None
    identity = None
context = Context()
for _ in range(max(50, count // 20)):
    first = handler(event, context)
assert first["statusCode"] == 200, first
samples = []
clock = time.perf_counter_ns
for _ in range(count):
    t0 = clock()
    response = handler(event, context)
    samples.append(clock() - t0)
assert response["statusCode"] == 200, response
print(json.dumps({{"samples_ns": samples, "x_cache": response["headers"].get("x-cache")}}),
      file=RESULT)
"""

RAW_ASYNCPG_CHILD = """
import asyncio, json, sys, time
import asyncpg
async def main():
    connection = await asyncpg.connect(sys.argv[1], server_settings={"search_path": "mart,public"})
    statement = await connection.prepare(
        "SELECT id, abbreviation, city, name, conference, division, count(*) OVER () "
        "FROM teams ORDER BY abbreviation LIMIT 50 OFFSET 0")
    count = int(sys.argv[2])
    for _ in range(200):
        rows = await statement.fetch()
    samples = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        rows = [dict(row) for row in await statement.fetch()]
        samples.append(time.perf_counter_ns() - t0)
    await connection.close()
    print(json.dumps({"samples_ns": samples, "x_cache": None}), file=RESULT)
asyncio.run(main())
"""

MISS_ENV = {
    "CACHE_TTL_SECONDS": "0",
    "CACHE_TTL_REFERENCE_SECONDS": "0",
    "CACHE_SEARCH_TTL_SECONDS": "0",
}
"""Nothing is stored: every request builds its answer from the database."""

SERVICE_COLD_REQUESTS = {
    "public": ("GET", "/v1/teams", 200),
    "web": ("GET", "/login", 200),
    "ingest": ("POST", "/v1/ingest/teams", 401),  # no API key: routing, auth, the JSON error
}
"""Each service's entry point (courtside.lambda_services.<name>), answering one of its paths."""


def cold(env: dict[str, str], runs: int, *, services: bool = True) -> dict[str, dict[str, float]]:
    """Median cold start of the floor, the whole app and (with `services`) each service's entry
    point, interleaved run by run."""
    children = [("floor", FLOOR_IMPORT, [str(EVENT)]), ("app", APP_IMPORT, [str(EVENT)])]
    if services:
        children += [
            (
                name,
                f"from courtside.lambda_services.{name} import handler",
                [str(EVENT), path, method, str(status)],
            )
            for name, (method, path, status) in SERVICE_COLD_REQUESTS.items()
        ]
    results: dict[str, dict[str, list[float]]] = {
        name: {"total_ms": [], "import_ms": [], "invoke_ms": []} for name, _, _ in children
    }
    for _, line, args in children:  # each child's bytecode written once (common.child_env)
        run_child(COLD_CHILD.format(import_line=line), args, env)
    for _ in range(runs):
        for name, line, args in children:
            total, split = run_child(COLD_CHILD.format(import_line=line), args, env)
            results[name]["total_ms"].append(total)
            results[name]["import_ms"].append(float(split["import_ms"]))
            results[name]["invoke_ms"].append(float(split["invoke_ms"]))
    return {
        name: {key: median(values) for key, values in series.items()}
        for name, series in results.items()
    }


def warm_pair(
    floor_env: dict[str, str],
    app_env: dict[str, str],
    path: str,
    query: str,
    invocations: int,
    *,
    rounds: int = 3,
    floor_code: str | None = None,
    floor_args: list[str] | None = None,
) -> tuple[dict[str, float], dict[str, float], str | None]:
    """Floor and app, each `invocations` warm invocations split over `rounds` processes,
    alternating floor and app: (floor stats, app stats, the app's last X-Cache)."""
    samples: dict[str, list[float]] = {"floor": [], "app": []}
    x_cache = None
    per_round = max(invocations // rounds, 200)
    for _ in range(rounds):
        if floor_code is None:
            _, floor = run_child(
                WARM_CHILD.format(import_line=FLOOR_IMPORT),
                [str(EVENT), str(per_round), "/v1/teams", ""],
                floor_env,
            )
        else:
            _, floor = run_child(floor_code, [*(floor_args or []), str(per_round)], floor_env)
        samples["floor"] += [ns / 1000 for ns in floor["samples_ns"]]
        _, app = run_child(
            WARM_CHILD.format(import_line=APP_IMPORT),
            [str(EVENT), str(per_round), path, query],
            app_env,
        )
        samples["app"] += [ns / 1000 for ns in app["samples_ns"]]
        x_cache = app["x_cache"]
    stats = {
        name: {"median_us": median(values), "p99_us": percentile(values, 0.99)}
        for name, values in samples.items()
    }
    return stats["floor"], stats["app"], x_cache


def _figure(name: str, floor: dict[str, float], app: dict[str, float], goal: float) -> Figure:
    ratio = app["median_us"] / floor["median_us"]
    return Figure(
        name=name,
        floor=floor["median_us"],
        project=app["median_us"],
        unit="us",
        goal=f"<= {goal:g}x",
        ratio=ratio,
        met=ratio <= goal,
        note=f"p99 {floor['p99_us']:.0f} / {app['p99_us']:.0f} us",
    )


def _sample_game(database_url: str) -> tuple[int, str]:
    """A game with odds (for the odds movement) and a day with games."""

    async def query() -> tuple[int, str]:
        import asyncpg

        connection = await asyncpg.connect(
            database_url.replace("+asyncpg", ""), server_settings={"search_path": "mart,public"}
        )
        try:
            row = await connection.fetchrow(
                "SELECT g.id, (g.start_time AT TIME ZONE 'America/New_York')::date AS day "
                "FROM games g JOIN odds_snapshots o ON o.game_id = g.id "
                "ORDER BY g.start_time LIMIT 1"
            )
        finally:
            await connection.close()
        return int(row["id"]), row["day"].isoformat()

    return asyncio.run(query())


def _service_cold_figures(result: dict[str, dict[str, float]]) -> list[Figure]:
    """Each service's entry point against the same floor; the read API's is the one with a goal
    (what its users feel), the others are reported."""
    floor = result["floor"]
    figures = []
    for name, (method, path, _status) in SERVICE_COLD_REQUESTS.items():
        service = result[name]
        ratio = service["total_ms"] / floor["total_ms"]
        goal = 1.5 if name == "public" else None
        figures.append(
            Figure(
                name=f"  cold start, {name} service's handler",
                floor=floor["total_ms"],
                project=service["total_ms"],
                unit="ms",
                goal=f"<= {goal:g}x" if goal else "-",
                ratio=ratio,
                met=ratio <= goal if goal else None,
                note=f"{method} {path}: import {service['import_ms']:.0f} ms, first "
                f"invocation {service['invoke_ms']:.0f} ms",
            )
        )
    return figures


def measure(
    cold_runs: int,
    invocations: int,
    *,
    with_postgres: bool = True,
    with_services: bool = True,
) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp:
        directory = write_floor(Path(tmp))
        print("  preparing a SQLite database with the demo season ...", flush=True)
        sqlite = sqlite_demo(directory)
        env = child_env(sqlite, directory)

        print(f"  cold start: {cold_runs} fresh processes each ({load_average()}) ...", flush=True)
        result = cold(env, cold_runs, services=with_services)
        floor, app = result["floor"], result["app"]
        ratio = app["total_ms"] / floor["total_ms"]
        figures.append(
            Figure(
                name="cold start, whole process, GET /v1/teams",
                floor=floor["total_ms"],
                project=app["total_ms"],
                unit="ms",
                goal="<= 1.5x",
                ratio=ratio,
                met=ratio <= 1.5,
                note=f"import {floor['import_ms']:.0f} / {app['import_ms']:.0f} ms, first "
                f"invocation {floor['invoke_ms']:.0f} / {app['invoke_ms']:.0f} ms",
            )
        )
        if with_services:
            figures += _service_cold_figures(result)

        print(f"  warm, in-process cache ({load_average()}) ...", flush=True)
        f, a, hit = warm_pair(env, env, "/v1/teams", "limit=50", invocations)
        assert hit == "hit", hit
        figures.append(_figure("warm cached GET /v1/teams, in-process cache", f, a, 1.3))
        f, a, _ = warm_pair(env, env, "/health", "", invocations)
        figures.append(_figure("  (GET /health: middleware and routing)", f, a, 1.3))

        print(f"  warm, Redis cache ({load_average()}) ...", flush=True)
        redis_env = {**env, "REDIS_URL": redis_url(), "CACHE_PREFIX": f"bench-{uuid.uuid4().hex}"}
        f, a, hit = warm_pair(env, redis_env, "/v1/teams", "limit=50", invocations)
        assert hit == "hit", hit
        figures.append(_figure("warm cached GET /v1/teams, Redis cache", f, a, 1.5))

        if with_postgres:
            print("  preparing a PostgreSQL database with the demo season ...", flush=True)
            with postgres_demo() as url:
                figures += _postgres_misses(url, env, directory, invocations)
    return figures


def _postgres_misses(
    url: str, floor_env: dict[str, str], directory: Path, invocations: int
) -> list[Figure]:
    game, day = _sample_game(url)
    miss_env = child_env(url, directory, **MISS_ENV)
    count = max(invocations // 4, 600)
    figures = []
    for name, path, query in (
        ("miss on PostgreSQL: /v1/teams", "/v1/teams", "limit=50"),
        ("miss on PostgreSQL: /v1/games", "/v1/games", f"date={day}"),
        ("miss on PostgreSQL: /v1/standings", "/v1/standings", ""),
        ("miss on PostgreSQL: odds 7d deviation", f"/v1/games/{game}/odds", "type=7d_deviation"),
    ):
        print(f"  warm, {name} ({load_average()}) ...", flush=True)
        f, a, x_cache = warm_pair(floor_env, miss_env, path, query, count)
        assert x_cache == "miss", x_cache
        figures.append(_figure(name, f, a, 10))
    f, a, _ = warm_pair(
        floor_env,
        miss_env,
        "/v1/teams",
        "limit=50",
        count,
        floor_code=RAW_ASYNCPG_CHILD,
        floor_args=[url.replace("+asyncpg", "")],
    )
    figures.append(
        Figure(
            name="  (teams: raw asyncpg, same query / handler)",
            floor=f["median_us"],
            project=a["median_us"],
            unit="us",
            goal="-",
            ratio=a["median_us"] / f["median_us"],
        )
    )
    return figures


IMPORT_LAYERS = (
    ("fastapi + mangum (the floor's imports)", "import fastapi, mangum"),
    (
        "+ sqlalchemy (orm, asyncio) + aiosqlite",
        "import sqlalchemy.orm, sqlalchemy.ext.asyncio, aiosqlite",
    ),
    ("+ pydantic-settings", "import pydantic_settings"),
    ("+ courtside settings, db, cache", "import courtside.db, courtside.cache"),
    ("+ courtside.main (the app, no route group)", "import courtside.main"),
    ("+ courtside.lambda_handler (public routes)", "import courtside.lambda_handler"),
)


def import_layers(env: dict[str, str], runs: int) -> list[tuple[str, float]]:
    """Fastest whole-process time of importing each layer on top of the previous ones."""
    import time

    codes = [
        "; ".join(stmt for _, stmt in IMPORT_LAYERS[: n + 1]) for n in range(len(IMPORT_LAYERS))
    ]
    samples: list[list[float]] = [[] for _ in codes]
    for _ in range(runs):
        for n, code in enumerate(codes):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            samples[n].append((time.perf_counter() - started) * 1000)
    return [(label, min(series)) for (label, _), series in zip(IMPORT_LAYERS, samples, strict=True)]


def import_breakdown(env: dict[str, str], top: int) -> tuple[list[tuple[str, int]], list[str]]:
    """Self time of the handler's import by top-level package; cumulative by Courtside module."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", APP_IMPORT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    by_package: dict[str, int] = {}
    courtside: list[tuple[int, str]] = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        module = name.strip()
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(self_us)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if package == "courtside" and depth <= 2:
            courtside.append((int(cumulative_us), module))
    packages = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    modules = [f"{us / 1000:7.1f} ms  {module}" for us, module in sorted(courtside, reverse=True)]
    return packages, modules[:top]


def where_the_cold_start_goes() -> None:
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp:
        directory = write_floor(Path(tmp))
        env = child_env(sqlite_demo(directory), directory)
        layers = import_layers(env, 7)
        packages, modules = import_breakdown(env, 12)
    print("whole-process import time by layer (fastest of 7; each row adds to the one above):")
    previous = 0.0
    for label, ms in layers:
        added = f"(+{ms - previous:6.1f})" if previous else ""
        print(f"    {ms:7.1f} ms {added:10s} {label}")
        previous = ms
    print("import of the handler, self time by top-level package (-X importtime):")
    for package, us in packages:
        print(f"    {us / 1000:7.1f} ms  {package}")
    print("Courtside modules imported by the handler, cumulative:")
    for line in modules:
        print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=11)
    parser.add_argument("--warm-invocations", type=int, default=6000)
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL misses")
    parser.add_argument(
        "--no-services", action="store_true", help="skip the per-service entry points' cold start"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="any counts (a check that the script runs)"
    )
    args = parser.parse_args()
    if not args.smoke and (args.cold_runs < 5 or args.warm_invocations < 1000):
        parser.error("use at least 5 cold runs and 1,000 warm invocations")
    print(f"Python {sys.version.split()[0]}; {load_average()}")
    figures = measure(
        args.cold_runs,
        args.warm_invocations,
        with_postgres=not args.no_postgres,
        with_services=not args.no_services,
    )
    for figure in figures:
        print(figure.line())
    where_the_cold_start_goes()
    print(load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
