"""docs/capacity.md, computed from measured per-request figures: where each database shape stops.

    PYTHONPATH=api .venv/bin/python scripts/capacity_model.py          # print the document
    PYTHONPATH=api .venv/bin/python scripts/capacity_model.py --write  # rewrite docs/capacity.md

The figures come from scripts/bench/capacity.py (the app in process, one request at a time:
the app's time, the database round trips, the statements) and scripts/bench/load_run.py (the
app under uvicorn driven from another process: CPU of the app and of PostgreSQL per request,
statements, Redis commands, latencies), both in scripts/bench/capacity_figures.json (`make
bench` runs both; `load_run.py --refresh` re-measures both and rewrites the page). Lambda is
priced with the first, the database with the second (`inputs`). Everything else is a stated
assumption below (ASSUMPTIONS): the mix, the CDN and Redis hit ratios, how much slower
Lambda's CPU is than the machine that measured, the prices.
tests/scripts/test_capacity_model.py keeps docs/capacity.md equal to this output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "api"))

from infra.catalog import RDS_POSTGRES  # noqa: E402
from infra.connection_budget import (  # noqa: E402
    HEADROOM,
    OVERHEAD,
    max_connections_for_acu,
    max_connections_for_memory,
)

FIGURES = ROOT / "scripts" / "bench" / "capacity_figures.json"
DOCUMENT = ROOT / "docs" / "capacity.md"
RATES = (10, 100, 1_000, 10_000)
HOURS_PER_MONTH = 730

MIX = {"public": 0.80, "signed_in_read": 0.17, "bet_placement": 0.03}
"""Share of the requests arriving at CloudFront."""
CDN_HIT = 0.90
"""Public GETs CloudFront answers itself (s-maxage); signed-in requests always reach the app."""
REDIS_HIT = 0.95
"""Public GETs reaching the app that Redis answers (the rest are misses: one statement each)."""
LAMBDA_CPU_FACTOR = 1.7
"""A 1024 MB Lambda has ~0.58 of a vCPU: its non-database time is this many times the
measured one (the database time is the server's, unchanged)."""
IDLE_ENVIRONMENTS = 1.5
"""Live execution environments per busy one (Lambda keeps warm ones between bursts); each
holds its connection whether busy or not."""
CPU_TARGET = 0.7
"""Database CPU kept below this share, so a burst or a failover has room."""
VCPU_PER_ACU = 0.25
"""1 ACU is ~2 GiB with 'corresponding CPU': memory-optimised classes give 8 GiB per vCPU."""
LAMBDA_MEMORY_GB = 1.0
PRICE_LAMBDA_GB_SECOND = 0.0000133334
"""arm64, eu-west-1."""
PRICE_LAMBDA_MILLION_REQUESTS = 0.20
PRICE_CLOUDFRONT_10K_REQUESTS = 0.012
"""HTTPS, Europe; data transfer not counted."""
PRICE_ACU_HOUR = 0.14
"""Aurora Serverless v2, Aurora Standard, eu-west-1; storage and I/O not counted."""

ASSUMPTIONS = (
    ("mix at CloudFront", "80% public GETs, 17% signed-in reads, 3% bet placements"),
    ("CDN hit ratio (public GETs)", f"{CDN_HIT:.0%}; signed-in requests never hit"),
    ("Redis hit ratio (public GETs at the app)", f"{REDIS_HIT:.0%}; a miss is one statement"),
    ("Lambda CPU", f"non-database time x {LAMBDA_CPU_FACTOR} (1024 MB ~ 0.58 vCPU)"),
    ("environments per busy one", f"{IDLE_ENVIRONMENTS} (each holds 1 writer connection)"),
    (
        "database CPU target",
        f"{CPU_TARGET:.0%} of its vCPUs; database time = the load run's PostgreSQL CPU",
    ),
    ("vCPU per ACU", f"{VCPU_PER_ACU} (2 GiB per ACU, 8 GiB per vCPU)"),
    ("connections usable", f"{HEADROOM:.0%} of max_connections minus {OVERHEAD} (the budget)"),
    (
        "prices (USD, eu-west-1)",
        f"Lambda {PRICE_LAMBDA_GB_SECOND}/GB-s + {PRICE_LAMBDA_MILLION_REQUESTS}/M requests; "
        f"CloudFront {PRICE_CLOUDFRONT_10K_REQUESTS}/10k; ACU-hour {PRICE_ACU_HOUR}; "
        "instances from infra/catalog.py; storage, I/O, transfer and Redis not counted",
    ),
)


@dataclass(frozen=True)
class Shape:
    """A database configuration: one RDS class, or Aurora with an ACU ceiling and readers."""

    name: str
    rds_class: str | None = None
    multi_az: bool = False
    max_acu: float = 0.0
    min_acu: float = 0.0
    readers: int = 0

    @property
    def vcpus(self) -> float:
        if self.rds_class:
            return RDS_POSTGRES[self.rds_class].vcpus
        return self.max_acu * VCPU_PER_ACU

    @property
    def max_connections(self) -> int:
        if self.rds_class:
            return max_connections_for_memory(RDS_POSTGRES[self.rds_class].memory_gib)
        return max_connections_for_acu(self.max_acu)

    @property
    def usable_connections(self) -> int:
        return int(self.max_connections * HEADROOM) - OVERHEAD

    def monthly_cost(self, writer_cores: float, reader_cores: float) -> float:
        if self.rds_class:  # read replicas: single-AZ instances of the same class
            hourly = RDS_POSTGRES[self.rds_class].usd_per_hour
            return hourly * ((2 if self.multi_az else 1) + self.readers) * HOURS_PER_MONTH
        acus = max(self.min_acu, writer_cores / CPU_TARGET / VCPU_PER_ACU)
        per_reader = reader_cores / max(self.readers, 1) / CPU_TARGET / VCPU_PER_ACU
        acus += self.readers * max(self.min_acu, per_reader)
        return acus * PRICE_ACU_HOUR * HOURS_PER_MONTH


SHAPES = (
    Shape("rds db.t4g.small (staging)", rds_class="t4g.small"),
    Shape("rds db.m7g.large Multi-AZ (prod)", rds_class="m7g.large", multi_az=True),
    Shape(
        "rds db.m7g.large Multi-AZ, 2 read replicas",
        rds_class="m7g.large",
        multi_az=True,
        readers=2,
    ),
    Shape("aurora 0.5-16 ACU, 2 readers", min_acu=0.5, max_acu=16, readers=2),
    Shape("aurora 2-64 ACU, 4 readers", min_acu=2, max_acu=64, readers=4),
)


@dataclass(frozen=True)
class Load:
    """What `rate` requests/s at CloudFront ask of Lambda and the database."""

    rate: float
    origin: float
    concurrency: float
    connections: float
    writer_cores: float
    public_miss_cores: float
    lambda_cost: float
    cdn_cost: float

    def reader_cores(self, shape: Shape) -> float:
        return self.public_miss_cores if shape.readers else 0.0

    def writer_cores_on(self, shape: Shape) -> float:
        return self.writer_cores + (0.0 if shape.readers else self.public_miss_cores)


def origin_shares() -> dict[str, float]:
    """Each kind's share of the requests reaching the app, per request at CloudFront."""
    public_origin = MIX["public"] * (1 - CDN_HIT)
    return {
        "public_hit": public_origin * REDIS_HIT,
        "public_miss": public_origin * (1 - REDIS_HIT),
        "signed_in_read": MIX["signed_in_read"],
        "bet_placement": MIX["bet_placement"],
    }


def inputs(data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per kind of request, what the model prices: Lambda ms (the in-process figures: one
    request at a time on the ASGI app, as a Lambda environment runs it, its non-database time
    scaled by LAMBDA_CPU_FACTOR) and database ms (the load run's PostgreSQL CPU per request,
    measured from outside: the server's work, not the client's round trip)."""
    in_process, load_run = data["figures"], data["load_run"]["figures"]
    return {
        kind: {
            "lambda_ms": (f["app_ms"] - f["db_ms"]) * LAMBDA_CPU_FACTOR + f["db_ms"],
            "db_ms": load_run[kind]["db_cpu_ms"],
        }
        for kind, f in in_process.items()
    }


def per_origin_request(figures: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """(share of origin requests per CloudFront request, Lambda seconds, database seconds),
    from `inputs`."""
    shares = origin_shares()
    return {
        kind: (share, figures[kind]["lambda_ms"] / 1000, figures[kind]["db_ms"] / 1000)
        for kind, share in shares.items()
    }


def load_at(rate: float, figures: dict[str, Any]) -> Load:
    kinds = per_origin_request(figures)
    origin = rate * sum(share for share, _, _ in kinds.values())
    busy = rate * sum(share * seconds for share, seconds, _ in kinds.values())
    writer = rate * sum(s * db for k, (s, _, db) in kinds.items() if k != "public_miss")
    share, _, miss_db = kinds["public_miss"]
    gb_seconds = busy * LAMBDA_MEMORY_GB * 3600 * HOURS_PER_MONTH
    return Load(
        rate=rate,
        origin=origin,
        concurrency=busy,
        connections=math.ceil(busy * IDLE_ENVIRONMENTS),
        writer_cores=writer,
        public_miss_cores=rate * share * miss_db,
        lambda_cost=gb_seconds * PRICE_LAMBDA_GB_SECOND
        + origin * 3600 * HOURS_PER_MONTH / 1e6 * PRICE_LAMBDA_MILLION_REQUESTS,
        cdn_cost=rate * 3600 * HOURS_PER_MONTH / 1e4 * PRICE_CLOUDFRONT_10K_REQUESTS,
    )


def limits(shape: Shape, figures: dict[str, Any]) -> list[tuple[float, str, str]]:
    """The CloudFront request rate at which each of the shape's limits is reached."""
    one = load_at(1.0, figures)
    capacity = shape.vcpus * CPU_TARGET
    found = [
        (
            shape.usable_connections / (one.concurrency * IDLE_ENVIRONMENTS),
            "writer connections",
            "a larger class / db_max_acu, or RDS Proxy (connections multiplexed)",
        ),
        (
            capacity / one.writer_cores_on(shape),
            "writer CPU",
            "a larger class / db_max_acu (writes cannot move to readers)",
        ),
    ]
    if shape.readers:
        found.append(
            (
                capacity * shape.readers / one.reader_cores(shape),
                "reader CPU",
                "db_readers or db_max_acu",
            )
        )
    return sorted(found)


def verdict(shape: Shape, load: Load) -> str:
    if load.connections > shape.usable_connections:
        return f"breaks: {load.connections:.0f} connections > {shape.usable_connections}"
    writer = load.writer_cores_on(shape) / (shape.vcpus * CPU_TARGET)
    if writer > 1:
        return f"breaks: writer CPU {writer:.0%} of target"
    reader = load.reader_cores(shape) / (shape.vcpus * CPU_TARGET * max(shape.readers, 1))
    if shape.readers and reader > 1:
        return f"breaks: reader CPU {reader:.0%} of target"
    return f"ok (writer CPU {writer:.0%} of target)"


LOAD_RUN_METHOD = 2
"""scripts/bench/load_run.py's method, written with its figures: 2 reads app CPU with ended
threads, keeps every pool connection and checks the answers (1: none of these)."""


def render(data: dict[str, Any]) -> str:
    measured, run = data["figures"], data["load_run"]
    figures = inputs(data)
    lines = [
        "# Capacity: what 10 to 10,000 requests/s ask of Lambda and the database",
        "",
        "Generated by `scripts/capacity_model.py` from the per-request figures that",
        "`scripts/bench/capacity.py` and `scripts/bench/load_run.py` measured (both part of",
        "`make bench`); do not edit by hand: `PYTHONPATH=api .venv/bin/python",
        "scripts/capacity_model.py --write`.",
        "`tests/scripts/test_capacity_model.py` fails when this page and the script disagree.",
        "",
        "## Measured per request",
        "",
        "### In process, one request at a time (`scripts/bench/capacity.py`)",
        "",
        f"{data['measured_at']}, Python {data['python']}, {data['rounds']} rounds of "
        f"{data['requests_per_round']} requests per kind, app and floor interleaved; "
        f"{data['load_average']['before']} (after: {data['load_average']['after']}).",
        "A busy machine inflates every time (see its load above); the model uses them as measured.",
        "",
        "| request | app (ms) | floor (ms) | database (ms) | statements |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, f in measured.items():
        lines.append(
            f"| {kind.replace('_', ' ')} | {f['app_ms']:.2f} | {f['floor_ms']:.2f} | "
            f"{f['db_ms']:.2f} | {f['statements']:g} |"
        )
    lines += [
        "",
        "### Under uvicorn, from outside (the load run)",
        "",
        "`scripts/bench/load_run.py`: the app under uvicorn (one worker) on its own database",
        "and Redis, driven by a load generator in another process with "
        f"{run['concurrency']} requests in flight,",
        f"a phase per kind (at most {run['requests_per_phase']:,} requests and "
        f"{run['seconds_per_phase']:g} s each), then the model's mix at the origin.",
        f"{run['measured_at']}, Python {run['python']}; {run['load_average']['before']} "
        f"(after: {run['load_average']['after']}).",
        "CPU is read from /proc: the uvicorn process's user + system time (/proc/<pid>/stat,",
        "its ended threads included), and the run time of the PostgreSQL backends connected",
        "to the run's database (/proc/<pid>/schedstat; the app's pool holds one connection",
        "per request in flight and closes none, and a phase whose backend exited is refused).",
        "Not counted: PostgreSQL's background processes (WAL writer, checkpointer, background",
        "writer, autovacuum), which write out what placements change, nor the wait on a",
        "commit's fsync (I/O, not CPU): the PostgreSQL CPU of writes is a floor. Statements",
        "are counted in the app (pg_stat_statements is not preloaded here), Redis commands by",
        "`INFO commandstats`; a phase with an answer other than a 2xx stops the run. Rates",
        "and latencies are those of this machine at that load.",
        *(
            []
            if run.get("method", 1) >= LOAD_RUN_METHOD
            else [
                "",
                "**These figures are from an earlier load run** (method "
                f"{run.get('method', 1)}: app CPU from the live threads only, the pool's",
                "overflow connections allowed to close, their backends' CPU then lost, answers",
                "not checked): the measurement above is what the next run does. Until it is",
                "re-run (`load_run.py --refresh`, below), read the CPU figures as floors.",
            ]
        ),
        "",
        "| phase | requests | req/s | p50 (ms) | p90 (ms) | p99 (ms) | app CPU (ms) | "
        "PostgreSQL CPU (ms) | statements | Redis commands |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, f in run["figures"].items():
        lines.append(
            f"| {kind.replace('_', ' ')} | {f['requests']:,} | {f['rps']:,.1f} | "
            f"{f['p50_ms']:.1f} | {f['p90_ms']:.1f} | {f['p99_ms']:.1f} | {f['app_cpu_ms']:.2f} | "
            f"{f['db_cpu_ms']:.3f} | {f['statements']:g} | {f['redis_commands']:g} |"
        )
    lines += [
        "",
        "The model prices Lambda with the in-process app time (one request at a time, as a",
        "Lambda environment serves them; uvicorn's CPU above is a cross-check) and the",
        "database with the load run's PostgreSQL CPU per request (the server's work).",
        "To refresh every figure and this page on an idle machine, one command:",
        "`.venv/bin/python scripts/bench/load_run.py --refresh`.",
    ]
    lines += ["", "## Assumptions", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in ASSUMPTIONS]
    lines += [
        "",
        "## Load at each rate",
        "",
        "Concurrency is Little's law (origin requests/s x Lambda seconds each); connections",
        "are live environments (one writer connection each, one reader connection more on the",
        "public functions when there are readers). Database load is in busy vCPUs.",
        "",
        "| requests/s at CloudFront | at the app | Lambda concurrency | writer connections | "
        "writer vCPU (writes, signed-in) | public-miss vCPU (readers if any) | Lambda + CloudFront "
        "USD/month |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    loads = [load_at(rate, figures) for rate in RATES]
    for load in loads:
        lines.append(
            f"| {load.rate:,.0f} | {load.origin:,.1f} | {load.concurrency:,.1f} | "
            f"{load.connections:,.0f} | {load.writer_cores:.3f} | {load.public_miss_cores:.4f} | "
            f"{load.lambda_cost + load.cdn_cost:,.0f} |"
        )
    lines += [
        "",
        "## Each database shape at each rate",
        "",
        "| shape | max_connections (usable) | " + " | ".join(f"{r:,} req/s" for r in RATES) + " |",
        "|---|---|" + "---|" * len(RATES),
    ]
    for shape in SHAPES:
        cells = [
            f"{verdict(shape, load)}; DB "
            f"{shape.monthly_cost(load.writer_cores_on(shape), load.reader_cores(shape)):,.0f} "
            "USD/month"
            for load in loads
        ]
        lines.append(
            f"| {shape.name} | {shape.max_connections} ({shape.usable_connections}) | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "## Where each shape stops, and the setting that moves it",
        "",
        "| shape | first limit | at (req/s at CloudFront) | then | move it with |",
        "|---|---|---:|---|---|",
    ]
    for shape in SHAPES:
        (first_rate, first, fix), (second_rate, second, _), *_ = limits(shape, figures)
        lines.append(
            f"| {shape.name} | {first} | {first_rate:,.0f} | {second} at {second_rate:,.0f} | "
            f"{fix} |"
        )
    binding = sorted({limits(shape, figures)[0][1] for shape in SHAPES})
    lines += [
        "",
        f"Reading it: at this mix the first limit reached is {' or '.join(binding)}. The",
        "database times are PostgreSQL's CPU measured on a 2-core machine (see its load",
        "above); the connection limits are exact for the model's concurrency. Writes and",
        "signed-in reads stay on the writer whatever the number of readers (read-your-writes,",
        "betting decisions: docs/reliability.md); readers take the public misses only, which",
        "the CDN and Redis absorb first, so they move little at this mix and matter when the",
        "CDN hit ratio falls (a new day's schedule, an API client that bypasses the CDN).",
        "Each Lambda environment holds its connection whether busy or idle: past the usable",
        "connections the options are a larger max_connections (class or ACU ceiling) or RDS",
        "Proxy (not built: prepared statements and the search_path startup parameter would",
        "pin its sessions; see database/infrastructure.py).",
        "`infra/connection_budget.py` refuses at synth time a configuration whose reserved",
        "concurrency cannot fit.",
        "",
    ]
    return "\n".join(lines)


def load_figures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIGURES.read_text())
    return data


def write_document() -> Path:
    """Rewrite docs/capacity.md from the figures file: `make bench` and `load_run.py
    --refresh` call it after writing new figures, so the page never disagrees with them."""
    DOCUMENT.write_text(render(load_figures()))
    return DOCUMENT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite docs/capacity.md")
    args = parser.parse_args()
    if args.write:
        write_document()
    else:
        print(render(load_figures()), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
