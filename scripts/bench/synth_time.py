"""Where a warm `make synth` spends its time, and how long it takes (a script, not a test).

    .venv/bin/python scripts/bench/synth_time.py                  # prod, 3 runs
    .venv/bin/python scripts/bench/synth_time.py --env dev --runs 5

(a) Phases, in fresh processes, interleaved run by run: importing the CDK app's modules, building
    the constructs, and `app.synth()` twice over — as the app runs it (cdk-nag, without CDK's
    built-in CloudFormation validator) and with that validator switched back on — then cfn-lint
    on the templates. The validator's line is what `infra.application.new_app` turned off:
    a WebAssembly engine compiled in every synthesis, checking what cfn-lint checks.
(b) End to end: `make synth ENV=<env>` (the pinned CDK CLI, `app.py`, cdk-nag, cfn-lint), warm
    (`.venv` and `node_modules` installed, one warm-up run first). Median and range; the target
    is 20 s on the 2-core development machines.

A timed assertion in the test suite failed whenever the machine was busy; this measures instead.
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
TARGET_SECONDS = 20.0

PHASES = """
import json, os, sys, time
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
started = time.perf_counter()
from aws_cdk import App
from infra.application import build
imported = time.perf_counter()
context = json.loads(open("cdk.json").read())["context"]
context.update(json.loads(open("cdk.context.json").read()))
context["env"] = sys.argv[1]
validate = sys.argv[3] == "on"
app = App(context=context, outdir=sys.argv[2], builtin_cloud_formation_validation=validate)
build(app)
built = time.perf_counter()
app.synth()
done = time.perf_counter()
print(json.dumps({"import": imported - started, "build": built - imported, "synth": done - built}))
"""


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _phases(env: str, validation: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as outdir:
        result = subprocess.run(
            [_python(), "-c", PHASES, env, outdir, validation],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'api'}"},
            capture_output=True,
            text=True,
            check=True,
        )
        timings: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
        started = time.perf_counter()
        subprocess.run(
            [
                str(REPO / ".venv" / "bin" / "cfn-lint"),
                "--config-file",
                str(REPO / ".cfnlintrc.yaml"),
                "--",
                *map(str, Path(outdir).glob("*.template.json")),
            ],
            capture_output=True,
            check=True,
        )
        timings["cfn-lint"] = time.perf_counter() - started
    return timings


def _make_synth(env: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["make", "--no-print-directory", "synth", f"ENV={env}"],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - started


def _summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):5.1f} s  (min {min(values):.1f}, max {max(values):.1f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="prod", choices=("dev", "staging", "prod"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for _ in range(args.runs):
        for validation in ("off", "on"):  # interleaved: both see the same machine load
            runs[validation].append(_phases(args.env, validation))
    print(f"(a) phases of synthesizing {args.env}, {args.runs} runs each:")
    for phase in ("import", "build", "synth", "cfn-lint"):
        print(f"    {phase:<9} {_summary([r[phase] for r in runs['off']])}")
    print(f"    synth with CDK's built-in validator: {_summary([r['synth'] for r in runs['on']])}")

    _make_synth(args.env)  # warm-up
    totals = [_make_synth(args.env) for _ in range(args.runs)]
    median = statistics.median(totals)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    target = f"{verdict} the {TARGET_SECONDS:.0f} s target"
    print(f"(b) make synth ENV={args.env}: {_summary(totals)}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
