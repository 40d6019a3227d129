"""Cold-start and warm-latency benchmark of the Lambda handler (a script, not a test).

    make bench                      # or: .venv/bin/python scripts/bench/lambda_latency.py
    .venv/bin/python scripts/bench/lambda_latency.py --cold-runs 20 --warm-invocations 20000

Both figures are printed as ratios against a floor measured in the same run: a bare FastAPI +
Mangum "hello" handler answering the same Function URL event.

(a) Cold start: a fresh `python` process imports the handler and answers one Function URL
    event for `GET /v1/teams` (a cached public GET; in a fresh process the cache is empty, so
    this is the database read plus the cache fill) against a migrated SQLite file holding the
    demo season, with the in-process cache. Whole-process wall time, median of N runs; the
    runs of the app and of the floor are interleaved. The child also reports how that time
    splits into import and first invocation.
(b) Warm: one process, the same event answered N times (cache hits after the first); median
    and p99 per invocation. `GET /health` is timed too: the cost of the middleware stack and
    routing alone, without the endpoint's dependencies.

Logs are on (LOG_LEVEL=INFO, one JSON line per request, as on Lambda) but written to
/dev/null, so the terminal does not dominate. Finally `-X importtime` lists what the import of
the handler spends its time on, by top-level package and by Courtside module.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
API_DIR = REPO / "api"
EVENT = REPO / "tests" / "api" / "runtime" / "events" / "function_url_teams.json"

FLOOR_APP = """
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/v1/teams")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


handler = Mangum(app, lifespan="off")
"""

COLD_CHILD = """
import json, sys, time
started = time.perf_counter()
{import_line}
imported = time.perf_counter()
event = json.load(open(sys.argv[1]))
class Context:
    aws_request_id = "bench-cold"
    client_context = None
    identity = None
response = handler(event, Context())
answered = time.perf_counter()
assert response["statusCode"] == 200, response
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

APP_IMPORT = "from courtside.lambda_handler import handler"
FLOOR_IMPORT = "from floor_app import handler"


def prepare_database(directory: Path) -> str:
    """A migrated SQLite file with the demo season (30 teams, 1,230 games, ...)."""
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": str(API_DIR), "DATABASE_URL": url, "ENVIRONMENT": "local"}
    subprocess.run(
        [sys.executable, "-m", "courtside", "migrate"], env=env, check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "demo_data.py"), "load"],
        env=env,
        check=True,
        capture_output=True,
    )
    return url


def child_env(url: str, floor_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "OTEL_"))
    }
    env.update(
        PYTHONPATH=f"{API_DIR}{os.pathsep}{floor_dir}",
        DATABASE_URL=url,
        ENVIRONMENT="local",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        AWS_LAMBDA_FUNCTION_NAME="courtside-bench",
    )
    return env


def run_child(code: str, args: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    """Run `code` in a fresh process whose stdout (the app's JSON logs) goes to /dev/null, as
    a log sink that costs a write but nobody reads; the child reports through a file."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", code, *args],
            env={**env, "BENCH_RESULT": result.name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        if completed.returncode != 0:
            raise SystemExit(f"benchmark child failed:\n{completed.stderr[-3000:]}")
        last = result.read().strip().splitlines()[-1]
    return elapsed_ms, json.loads(last)


def quiet(code: str) -> str:
    """Give the child a `RESULT` file to report through (its stdout is /dev/null)."""
    return "import os\nRESULT = open(os.environ['BENCH_RESULT'], 'w')\n" + code


def cold(env: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, list[float]]] = {
        name: {"total_ms": [], "import_ms": [], "invoke_ms": []} for name in ("floor", "app")
    }
    for _ in range(runs):
        for name, line in (("floor", FLOOR_IMPORT), ("app", APP_IMPORT)):
            total, split = run_child(quiet(COLD_CHILD.format(import_line=line)), [str(EVENT)], env)
            results[name]["total_ms"].append(total)
            results[name]["import_ms"].append(float(split["import_ms"]))  # type: ignore[arg-type]
            results[name]["invoke_ms"].append(float(split["invoke_ms"]))  # type: ignore[arg-type]
    return {
        name: {key: statistics.median(values) for key, values in series.items()}
        for name, series in results.items()
    }


def warm(env: dict[str, str], invocations: int) -> dict[str, dict[str, float]]:
    summary = {}
    runs = (
        ("floor", FLOOR_IMPORT, "/v1/teams", ""),
        ("app", APP_IMPORT, "/v1/teams", "limit=50"),
        ("app_health", APP_IMPORT, "/health", ""),
    )
    for name, line, path, query in runs:
        code = quiet(WARM_CHILD.format(import_line=line))
        _, result = run_child(code, [str(EVENT), str(invocations), path, query], env)
        samples = sorted(result["samples_ns"])  # type: ignore[call-overload]
        summary[name] = {
            "median_us": statistics.median(samples) / 1000,
            "p99_us": samples[int(len(samples) * 0.99) - 1] / 1000,
            "mean_us": statistics.fmean(samples) / 1000,
        }
        if name == "app":
            summary[name]["cache_hit"] = float(result["x_cache"] == "hit")
    return summary


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


IMPORT_LAYERS = (
    ("fastapi + mangum (the floor's imports)", "import fastapi, mangum"),
    (
        "+ sqlalchemy (orm, asyncio) + aiosqlite",
        "import sqlalchemy.orm, sqlalchemy.ext.asyncio, aiosqlite",
    ),
    ("+ pydantic-settings", "import pydantic_settings"),
    (
        "+ courtside settings, db, models, cache",
        "import courtside.db, courtside.models, courtside.cache",
    ),
    ("+ courtside.main (every router, the app)", "import courtside.main"),
    ("+ courtside.lambda_handler", "import courtside.lambda_handler"),
)


def import_layers(env: dict[str, str], runs: int) -> list[tuple[str, float]]:
    """Fastest whole-process time of importing each layer on top of the previous ones, so the
    differences say what each layer adds (attribution by -X importtime depends on who imports
    a shared dependency first). Layers are interleaved within each run and the minimum is kept:
    on a shared machine it is the figure least disturbed by other load."""
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=11)
    parser.add_argument("--warm-invocations", type=int, default=5000)
    args = parser.parse_args()
    if args.cold_runs < 10 or args.warm_invocations < 5000:
        parser.error("use at least 10 cold runs and 5,000 warm invocations")

    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp:
        directory = Path(tmp)
        (directory / "floor_app.py").write_text(FLOOR_APP)
        print("preparing a migrated SQLite database with the demo season ...", flush=True)
        url = prepare_database(directory)
        env = child_env(url, directory)
        # Warm the OS file cache and the bytecode caches before measuring.
        run_child(quiet(COLD_CHILD.format(import_line=APP_IMPORT)), [str(EVENT)], env)
        run_child(quiet(COLD_CHILD.format(import_line=FLOOR_IMPORT)), [str(EVENT)], env)

        print(f"cold start: {args.cold_runs} fresh processes each ...", flush=True)
        cold_result = cold(env, args.cold_runs)
        print(f"warm: {args.warm_invocations} invocations each ...", flush=True)
        warm_result = warm(env, args.warm_invocations)
        packages, modules = import_breakdown(env, 15)
        print("import layers: 9 fresh processes each ...", flush=True)
        layers = import_layers(env, 9)

    floor, app = cold_result["floor"], cold_result["app"]
    print()
    print(f"Python {sys.version.split()[0]} on {os.cpu_count()} CPUs; event GET /v1/teams")
    print("(a) cold start, whole process, median of", args.cold_runs)
    for name, row in (("floor (FastAPI+Mangum hello)", floor), ("courtside handler", app)):
        print(
            f"    {name:30s} {row['total_ms']:7.1f} ms"
            f"   (import {row['import_ms']:6.1f} ms, first invocation {row['invoke_ms']:6.1f} ms)"
        )
    cold_ratio = app["total_ms"] / floor["total_ms"]
    print(f"    ratio {cold_ratio:.2f}x  (target <= 2.0x)")
    wf, wa = warm_result["floor"], warm_result["app"]
    print("(b) warm, per invocation over", args.warm_invocations)
    for name, row in (
        ("floor (FastAPI+Mangum hello)", wf),
        ("courtside handler", wa),
        ("  (courtside GET /health)", warm_result["app_health"]),
    ):
        print(
            f"    {name:30s} median {row['median_us']:7.1f} us"
            f"   p99 {row['p99_us']:7.1f} us   mean {row['mean_us']:7.1f} us"
        )
    print(f"    the /v1/teams answers were served from the cache: {wa['cache_hit'] == 1.0}")
    warm_ratio = wa["median_us"] / wf["median_us"]
    print(f"    ratio {warm_ratio:.2f}x (medians)  (target <= 1.5x)")
    print("whole-process import time by layer (fastest of 9; each row adds to the one above):")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
