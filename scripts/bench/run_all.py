"""`make bench`: every benchmark, then one table of floor / project / ratio / goal.

    .venv/bin/python scripts/bench/run_all.py [--quick] [--scale 80|10]

Sections, each a script of its own in scripts/bench/ that also runs alone:
lambda_latency (cold start; warm with the in-process cache, with Redis; misses on
PostgreSQL), throughput (uvicorn + wrk), scale (Nx vs 1x data), image_size, redis_outage,
powertools (what the Lambda logging and secrets library costs at init and per log line),
tracing_cost (the handler with OTEL_ENABLED on against off: cold start and per invocation),
capacity (per-request app and database time for the capacity model, docs/capacity.md),
load_run (the app under uvicorn driven from another process: CPU of the app and PostgreSQL,
statements and Redis commands per request, latencies; also for docs/capacity.md),
signed_in_pages (floors doing the same work: one redis-py GET, the same SQL on raw asyncpg, a
FastAPI+Mangum+asyncpg cold start, a FastAPI+Mangum+redis-py cold start against the public
service's answered from Redis; the signed-in pages warm with their SQL statements).
Needs this machine's PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL) and `wrk`.
`--quick` runs fewer iterations and the 10x scale (a few minutes instead of ~15).
The load average is printed before and after each section: a busy machine makes every
figure noisier, and the ratios (floor and project interleaved) are what to read.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capacity
import image_size
import lambda_latency
import load_run
import powertools
import redis_outage
import scale
import signed_in_pages
import throughput
import tracing_cost
from common import Figure, load_average

from scripts import capacity_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scale", type=int, choices=(10, 80), default=None)
    args = parser.parse_args()
    quick = args.quick
    scale_factor = args.scale or (10 if quick else 80)
    started = time.monotonic()
    print(f"Courtside benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{sys.version.split()[0]}; {load_average()}")  # fmt: skip
    sections: list[tuple[str, list[Figure], str, str]] = []
    plan: tuple[tuple[str, Callable[[], list[Figure]]], ...] = (
        (
            "Lambda handler",
            lambda: lambda_latency.measure(7 if quick else 11, 3000 if quick else 6000),
        ),
        (
            "Same-work floors and signed-in pages",
            lambda: signed_in_pages.measure(5 if quick else 9, 1500 if quick else 3000),
        ),
        ("uvicorn throughput", lambda: throughput.measure(4 if quick else 6, 2 if quick else 3)),
        (f"{scale_factor}x data", lambda: scale.measure(scale_factor, 300 if quick else 600)),
        ("image", image_size.measure),
        ("Redis outage", lambda: redis_outage.measure(6 if quick else 10, 1 if quick else 2)),
        ("Powertools", lambda: powertools.measure(7 if quick else 15)),
        (
            "Tracing",
            lambda: tracing_cost.measure(7 if quick else 11, 1500 if quick else 3000),
        ),
        # Last: it runs the app in this process (and sets REDIS_URL here). It writes
        # scripts/bench/capacity_figures.json for scripts/capacity_model.py (docs/capacity.md).
        ("Capacity figures", lambda: capacity.measure(3 if quick else 7, 60 if quick else 150)),
        # The app under uvicorn, measured from outside; also into capacity_figures.json.
        (
            "Load run",
            lambda: load_run.run(500 if quick else 1500, 10 if quick else 20, 8),
        ),
    )
    for title, run in plan:
        before = load_average()
        print(f"{title} ...", flush=True)
        figures = run()
        sections.append((title, figures, before, load_average()))
    # The last two sections wrote new figures: the page built from them follows (its test
    # fails whenever the two disagree).
    print(f"written: {capacity_model.write_document()}")
    print()
    print(f"{'':48s} {'floor':>16s} {'project':>16s} {'ratio':>7s}")
    for title, figures, before, after in sections:
        print(f"{title} ({before}; after: {after.removeprefix('load average ')})")
        for figure in figures:
            print(figure.line())
    unmet = [f.name for _, figures, _, _ in sections for f in figures if f.met is False]
    print(f"\n{len(unmet)} goal(s) not met" + (f": {'; '.join(unmet)}" if unmet else ""))
    print(f"took {(time.monotonic() - started) / 60:.1f} min; {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
