"""What tracing costs the Lambda handler: the same handler with `OTEL_ENABLED` on and off.

    .venv/bin/python scripts/bench/tracing_cost.py [--cold-runs 11] [--warm-invocations 3000]

Both arms run `courtside.lambda_handler.handler` as `lambda_latency.py` does (a migrated SQLite
file with the demo season, the in-process cache, Lambda's logging), interleaved run by run. The
traced arm runs with the settings the stack gives a function (infra/tracing.py): SigV4 signing
for X-Ray with credentials from the environment (so botocore is imported, as on Lambda), its
endpoint replaced by an OTLP/HTTP receiver on 127.0.0.1 that answers 200 at once (X-Ray is not
reachable from here; on AWS the export is a round trip to the VPC endpoint on top).

- cold: a fresh process imports the handler (init: tracing set up) and answers `GET /v1/teams`
  (its spans exported before the handler returns), whole-process wall time to the first response,
  median of N runs, and the split into import and first invocation;
- warm: per-invocation median and p99 of the same request (cached after the first), each
  invocation opening its spans and flushing them to the receiver.

The ratio is traced over untraced; the load average is printed with each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    APP_IMPORT,
    EVENT,
    Figure,
    child_env,
    load_average,
    median,
    percentile,
    run_child,
    sqlite_demo,
    write_floor,
)
from lambda_latency import COLD_CHILD, WARM_CHILD


class _Receiver(BaseHTTPRequestHandler):
    """Answers every OTLP export with 200 and an empty body (an empty
    ExportTraceServiceResponse), counting them; over HTTP/1.1 keep-alive, as X-Ray does."""

    protocol_version = "HTTP/1.1"
    exports = 0

    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Receiver.exports += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def otlp_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/v1/traces"
    finally:
        server.shutdown()
        server.server_close()


def traced_env(env: dict[str, str], endpoint: str) -> dict[str, str]:
    """What infra/tracing.py sets on a function (the endpoint aside), and what Lambda sets."""
    return {
        **env,
        "OTEL_ENABLED": "true",
        "OTEL_SERVICE_NAME": "courtside-bench",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
        "OTEL_EXPORTER_SIGV4_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_SESSION_TOKEN": "bench-session-token",
    }


def cold(off: dict[str, str], on: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    series: dict[str, dict[str, list[float]]] = {
        arm: {"total_ms": [], "import_ms": [], "invoke_ms": []} for arm in ("off", "on")
    }
    code = COLD_CHILD.format(import_line=APP_IMPORT)
    for _ in range(runs):
        for arm, env in (("off", off), ("on", on)):
            total, split = run_child(code, [str(EVENT)], env)
            series[arm]["total_ms"].append(total)
            series[arm]["import_ms"].append(float(split["import_ms"]))
            series[arm]["invoke_ms"].append(float(split["invoke_ms"]))
    return {arm: {k: median(v) for k, v in values.items()} for arm, values in series.items()}


def warm(
    off: dict[str, str], on: dict[str, str], invocations: int, rounds: int = 3
) -> dict[str, dict[str, float]]:
    samples: dict[str, list[float]] = {"off": [], "on": []}
    code = WARM_CHILD.format(import_line=APP_IMPORT)
    per_round = max(invocations // rounds, 200)
    for _ in range(rounds):
        for arm, env in (("off", off), ("on", on)):
            _, result = run_child(code, [str(EVENT), str(per_round), "/v1/teams", "limit=50"], env)
            samples[arm] += [ns / 1000 for ns in result["samples_ns"]]
    return {
        arm: {"median_us": median(values), "p99_us": percentile(values, 0.99)}
        for arm, values in samples.items()
    }


def measure(cold_runs: int, invocations: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as tmp, otlp_receiver() as url:
        directory = write_floor(Path(tmp))
        print("  preparing a SQLite database with the demo season ...", flush=True)
        off = child_env(sqlite_demo(directory), directory)
        on = traced_env(off, url)
        for env in (off, on):  # warm the file caches, and a traced run must export
            run_child(COLD_CHILD.format(import_line=APP_IMPORT), [str(EVENT)], env)
        if _Receiver.exports == 0:
            raise SystemExit("the traced handler exported nothing: is tracing set up?")
        print(f"  cold start, tracing off / on: {cold_runs} runs each ({load_average()}) ...")
        result = cold(off, on, cold_runs)
        print(f"  warm, tracing off / on ({load_average()}) ...", flush=True)
        steady = warm(off, on, invocations)
    a, b = result["off"], result["on"]
    w_off, w_on = steady["off"], steady["on"]
    return [
        Figure(
            name="cold start, tracing on / off",
            floor=a["total_ms"],
            project=b["total_ms"],
            unit="ms",
            goal="-",
            ratio=b["total_ms"] / a["total_ms"],
            note=f"+{b['total_ms'] - a['total_ms']:.0f} ms; import {a['import_ms']:.0f} / "
            f"{b['import_ms']:.0f} ms, first invocation {a['invoke_ms']:.0f} / "
            f"{b['invoke_ms']:.0f} ms (its spans exported)",
        ),
        Figure(
            name="  warm cached GET /v1/teams, tracing on / off",
            floor=w_off["median_us"],
            project=w_on["median_us"],
            unit="us",
            goal="-",
            ratio=w_on["median_us"] / w_off["median_us"],
            note=f"p99 {w_off['p99_us']:.0f} / {w_on['p99_us']:.0f} us; spans exported to "
            "127.0.0.1 after each invocation",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=11)
    parser.add_argument("--warm-invocations", type=int, default=3000)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; {load_average()}")
    for figure in measure(args.cold_runs, args.warm_invocations):
        print(figure.line())
    print(load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
