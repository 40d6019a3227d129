"""Powertools for AWS Lambda against the hand-written logging and secrets modules (issue 14.5).

    .venv/bin/python scripts/bench/powertools.py [--rounds N]

What a cold start would pay to replace `courtside.observability` (JSON log lines with the
request id) and `courtside.aws_secrets` (Secrets Manager values cached with a TTL) by
Powertools' `Logger` (with a correlation id) and `parameters` (secrets with `max_age`).

Each round runs two fresh processes, interleaved (A B A B). Both first import what the app
imports anyway (pydantic, pydantic-settings, Starlette, and boto3, which both secrets
modules need on Lambda: ours imports it on the first fetch, Powertools' at import), then
time only the part that differs:

- hand-written: import both modules and configure the JSON logger as Lambda init does;
- Powertools: import `Logger` and `parameters`, build a `Logger` and set a correlation id.

Powertools is installed into a directory of its own (`pip install --target`), pinned, so the
app's environment does not change. The figure is the median difference in ms; the goal is
that Powertools costs at most 20 ms more at cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import API_DIR, REPO, Figure, report

POWERTOOLS = "aws-lambda-powertools==3.37.0"
GOAL_MS = 20.0

PRELUDE = """
import time, json, os
import pydantic, pydantic_settings, starlette.types, boto3, botocore.session
"""

HAND_WRITTEN = (
    PRELUDE
    + """
started = time.perf_counter()
from courtside import aws_secrets, observability
observability.configure_logging("INFO", on_lambda=True)
elapsed = time.perf_counter() - started
print(json.dumps({"ms": elapsed * 1000}), file=open(os.environ["BENCH_RESULT"], "w"))
"""
)

POWERTOOLS_CHILD = (
    PRELUDE
    + """
started = time.perf_counter()
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
logger = Logger(service="courtside")
logger.set_correlation_id("bench")
elapsed = time.perf_counter() - started
print(json.dumps({"ms": elapsed * 1000}), file=open(os.environ["BENCH_RESULT"], "w"))
"""
)


def _install(target: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--target", str(target), POWERTOOLS, "jmespath"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _child(code: str, env: dict[str, str]) -> float:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "BENCH_RESULT": result.name},
            check=True,
            capture_output=True,
        )
        return float(json.loads(result.read())["ms"])


def measure(rounds: int = 15) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="courtside-powertools-") as tmp:
        target = Path(tmp)
        _install(target)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(API_DIR), str(target), str(REPO)]),
            "ENVIRONMENT": "local",
            "POWERTOOLS_SERVICE_NAME": "courtside",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(rounds):
            ours.append(_child(HAND_WRITTEN, env))
            theirs.append(_child(POWERTOOLS_CHILD, env))
    hand_written = statistics.median(ours)
    powertools = statistics.median(theirs)
    extra = powertools - hand_written
    return [
        Figure(
            name="Powertools Logger+parameters import (ms)",
            floor=hand_written,
            project=powertools,
            unit="ms",
            goal=f"+{GOAL_MS:.0f} ms",
            ratio=powertools / hand_written if hand_written else None,
            met=extra <= GOAL_MS,
            note=f"{extra:+.1f} ms over the hand-written modules; floor column = hand-written",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    return report(lambda: measure(args.rounds))


if __name__ == "__main__":
    raise SystemExit(main())
