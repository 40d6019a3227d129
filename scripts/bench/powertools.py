"""What adopting Powertools for AWS Lambda costs the Lambda handler (issue 14.5).

    .venv/bin/python scripts/bench/powertools.py [--rounds N] [--lines N]

The app logs on Lambda with Powertools' formatter (`courtside.lambda_logging`, the request id
as correlation id) and reads secrets through Powertools' `parameters` (`courtside.aws_secrets`,
imported on the first secret fetch). Three figures, each against the hand-written code the
adoption replaced (kept in this script or still in the app: `observability.JsonFormatter`):

- init: importing the logging and secrets modules and configuring Lambda logging, as Lambda
  init does. Before: the JSON formatter of `courtside.observability`. After: the same with
  Powertools' formatter (its import is the difference). Fresh processes, interleaved (A B A B),
  both pre-importing what the app imports anyway (pydantic, pydantic-settings, Starlette).
- init + first secret: the same, then what the first secret fetch imports beyond boto3 (which
  both need; it is in Lambda's base image and pre-imported in both children). Before: nothing
  more (the hand-written module made its client with boto3). After: Powertools'
  `SecretsProvider`. This is the whole cold-start cost for a request that reads a secret.
- warm: one request log line (`courtside.edge`'s call, through a handler that discards the
  text, as the runtime's handler would write it) in µs, hand-written formatter against
  Powertools', in one process, interleaved batches.

The goal of the issue: at most 20 ms more at cold start.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import API_DIR, REPO, Figure, report

GOAL_MS = 20.0

PRELUDE = """
import time, json, os, logging
import pydantic, pydantic_settings, starlette.types
logging.getLogger().addHandler(logging.NullHandler())  # the runtime's handler
"""

INIT_BEFORE = """
from courtside import aws_secrets, observability
for handler in logging.getLogger().handlers:
    handler.setFormatter(observability.JsonFormatter(newline=True))
"""

INIT_AFTER = """
from courtside import aws_secrets, observability
observability.configure_logging("INFO", on_lambda=True)
"""

SECRET_BEFORE = INIT_BEFORE

SECRET_AFTER = (
    INIT_AFTER
    + """
from aws_lambda_powertools.utilities.parameters import SecretsProvider
"""
)

CHILD = """
{prelude}
started = time.perf_counter()
{timed}
elapsed = time.perf_counter() - started
print(json.dumps({{"ms": elapsed * 1000}}), file=open(os.environ["BENCH_RESULT"], "w"))
"""


def _child(timed: str, env: dict[str, str], prelude: str = PRELUDE) -> float:
    code = CHILD.format(prelude=prelude, timed=timed)
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        subprocess.run(
            [sys.executable, "-c", code],
            env={**env, "BENCH_RESULT": result.name},
            check=True,
            capture_output=True,
        )
        return float(json.loads(result.read())["ms"])


def _pair(
    before: str, after: str, rounds: int, env: dict[str, str], prelude: str = PRELUDE
) -> tuple[float, float]:
    firsts: list[float] = []
    seconds: list[float] = []
    for _ in range(rounds):
        firsts.append(_child(before, env, prelude))
        seconds.append(_child(after, env, prelude))
    return statistics.median(firsts), statistics.median(seconds)


class _Discard(logging.Handler):
    """Formats every record, as the runtime's handler does, and drops the text."""

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


def _log_line_us(formatter: logging.Formatter, lines: int) -> float:
    """µs per request log line written by `courtside.edge` through `formatter`."""
    from courtside import edge
    from courtside.observability import request_id_var

    logger = logging.getLogger("courtside.request")
    handler = _Discard()
    handler.setFormatter(formatter)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    scope = {"method": "GET", "path": "/v1/teams"}
    request_id = "8f5c1a7e-3b2d-4e6f-9a0b-1c2d3e4f5a6b"
    token = request_id_var.set(request_id)
    try:
        started = time.perf_counter()
        for _ in range(lines):
            edge._log_request(scope, 200, request_id, started)
        elapsed = time.perf_counter() - started
    finally:
        request_id_var.reset(token)
    return elapsed / lines * 1e6


def warm_log_line(rounds: int, lines: int) -> tuple[float, float]:
    """(hand-written µs, Powertools µs) per request log line, medians of interleaved batches."""
    sys.path.insert(0, str(API_DIR))
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import JsonFormatter, configure_logging

    configure_logging("INFO", on_lambda=True)  # the same record-creation shortcuts as Lambda
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        ours.append(_log_line_us(JsonFormatter(newline=True), lines))
        theirs.append(_log_line_us(LambdaFormatter(newline=True), lines))
    return statistics.median(ours), statistics.median(theirs)


def _figure(
    name: str, before: float, after: float, unit: str, goal: str, met: bool | None
) -> Figure:
    return Figure(
        name=name,
        floor=before,
        project=after,
        unit=unit,
        goal=goal,
        ratio=after / before if before else None,
        met=met,
        note=f"{after - before:+.1f} {unit} over the hand-written code; floor column = before",
    )


def measure(rounds: int = 15, lines: int = 20_000) -> list[Figure]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(API_DIR), str(REPO)]),
        "ENVIRONMENT": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    init = _pair(INIT_BEFORE, INIT_AFTER, rounds, env)
    secret = _pair(SECRET_BEFORE, SECRET_AFTER, rounds, env, PRELUDE + "import boto3\n")
    warm = warm_log_line(rounds, lines)
    return [
        _figure("Powertools: init, logging + secrets (ms)", *init, "ms", f"+{GOAL_MS:.0f} ms",
                init[1] - init[0] <= GOAL_MS),
        _figure("Powertools: init + first secret (ms)", *secret, "ms",
                f"+{GOAL_MS:.0f} ms", secret[1] - secret[0] <= GOAL_MS),
        _figure("Powertools: one request log line (us)", *warm, "us", "report", None),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    return report(lambda: measure(args.rounds, args.lines))


if __name__ == "__main__":
    raise SystemExit(main())
