"""What every benchmark shares: the floor app, child processes, interleaving, the databases.

Every figure is a ratio against a floor measured in the same run, floor and project
interleaved (A B A B), so a machine that is slower or busier overall moves both. The load
average is printed with every result: a figure taken on a busy machine says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
API_DIR = REPO / "api"
EVENT = REPO / "tests" / "api" / "runtime" / "events" / "function_url_teams.json"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

FLOOR_APP = """
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/v1/teams")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


handler = Mangum(app, lifespan="off")
"""
"""The floor: bare FastAPI + Mangum answering the same path with a constant."""

APP_IMPORT = "from courtside.lambda_handler import handler"
FLOOR_IMPORT = "from floor_app import handler"


@dataclass(frozen=True)
class Figure:
    """One line of the summary: floor and project in `unit`, the ratio and the goal."""

    name: str
    floor: float | None
    project: float
    unit: str
    goal: str
    ratio: float | None = None
    met: bool | None = None
    note: str = ""

    def line(self) -> str:
        floor = f"{self.floor:10.1f} {self.unit:5s}" if self.floor is not None else " " * 16
        ratio = f"{self.ratio:6.2f}x" if self.ratio is not None else " " * 7
        verdict = {True: "met", False: "NOT met", None: ""}[self.met]
        note = f"  ({self.note})" if self.note else ""
        return (
            f"  {self.name:46s} {floor} {self.project:10.1f} {self.unit:5s} {ratio}"
            f"  goal {self.goal:9s} {verdict}{note}"
        )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * fraction) - 1))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


BYTECODE = Path(tempfile.gettempdir()) / "courtside-bench-bytecode"
"""Where the children's compiled modules live (`PYTHONPYCACHEPREFIX`), outside the tree."""


def child_env(database_url: str, floor_dir: Path, **extra: str) -> dict[str, str]:
    """A Lambda-like environment: JSON logs at INFO (to /dev/null), one connection, and
    modules run from bytecode, as in the image (its Dockerfile runs `compileall`). Under a
    `PYTHONDONTWRITEBYTECODE=1` shell no child ever wrote its `.pyc`: every cold start
    compiled each module it imported from source (~900 for the web service against ~300
    for the floor), which Lambda never does. The first run of each child writes them to
    `BYTECODE`; the cold benchmarks run each child once before measuring."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "OTEL_", "CACHE_", "DB_"))
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        PYTHONPYCACHEPREFIX=str(BYTECODE),
        PYTHONPATH=f"{API_DIR}{os.pathsep}{floor_dir}",
        DATABASE_URL=database_url,
        ENVIRONMENT="local",
        LOG_LEVEL="INFO",
        AWS_LAMBDA_FUNCTION_NAME="courtside-bench",
    )
    env.update(extra)
    return env


def image_site() -> Path:
    """The Lambda image's runtime dependencies for this interpreter: api/requirements.lock
    installed as the Dockerfile installs it (hash-checked, no resolver), once per lock, beside
    the virtualenv. A cold child run on them alone (`image_env`) imports only what the image
    ships: the development venv holds more (the OpenTelemetry SDK, which redis-py imports
    whenever it is installed: ~35 ms of a cold start the image without tracing never pays)."""
    import hashlib
    import shutil

    lock = API_DIR / "requirements.lock"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    target = Path(sys.prefix) / "bench-image-site" / f"py{version}-{digest}"
    if not (target / ".installed").exists():
        shutil.rmtree(target, ignore_errors=True)
        _run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"),
                *("--disable-pip-version-check", "--no-deps", "--require-hashes"),
                *("--target", str(target), "-r", str(lock)),
            ],
            dict(os.environ),
        )
        (target / ".installed").touch()
    return target


def image_env(env: dict[str, str], site: Path) -> dict[str, str]:
    """`env` for a child run with `IMAGE_PYTHON` on the image's dependencies (`image_site`)."""
    return {**env, "PYTHONPATH": f"{site}{os.pathsep}{env['PYTHONPATH']}"}


IMAGE_PYTHON = ("-S",)
"""No site-packages: the child imports from PYTHONPATH (`image_env`) and the standard library."""


def run_child(
    code: str, args: list[str], env: dict[str, str], python: tuple[str, ...] = ()
) -> tuple[float, dict[str, Any]]:
    """Run `code` in a fresh process whose stdout (the app's JSON logs) goes to /dev/null, a
    log sink that costs a write but nobody reads; the child reports through a file `RESULT`.
    `python`: the interpreter's options (`IMAGE_PYTHON`). Returns the whole process's wall
    time in ms and the report."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        started = time.perf_counter()
        preamble = "import os\nRESULT = open(os.environ['BENCH_RESULT'], 'w')\n"
        completed = subprocess.run(
            [sys.executable, *python, "-c", preamble + code, *args],
            env={**env, "BENCH_RESULT": result.name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )  # fmt: skip
        elapsed_ms = (time.perf_counter() - started) * 1000
        if completed.returncode != 0:
            raise SystemExit(f"benchmark child failed:\n{completed.stderr[-3000:]}")
        last = result.read().strip().splitlines()[-1]
    return elapsed_ms, json.loads(last)


def write_floor(directory: Path) -> Path:
    (directory / "floor_app.py").write_text(FLOOR_APP)
    return directory


def _run(command: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")


def load_demo(database_url: str, *, scale: int = 1) -> None:
    """Migrate `database_url` and load the demo season(s) through the ingestion service."""
    env = {**os.environ, "PYTHONPATH": str(API_DIR), "DATABASE_URL": database_url}
    env["ENVIRONMENT"] = "local"
    _run([sys.executable, "-m", "courtside", "migrate"], env)
    _run(
        [sys.executable, str(REPO / "scripts" / "demo_data.py"), "load", "--scale", str(scale)], env
    )


def sqlite_demo(directory: Path) -> str:
    """A migrated SQLite file with the demo season."""
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    load_demo(url)
    return url


def _admin_url(server: str, database: str) -> str:
    from sqlalchemy import make_url

    return make_url(server).set(database=database).render_as_string(hide_password=False)


async def _admin(server: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server.replace("+asyncpg", ""))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def postgres_demo(*, scale: int = 1) -> Iterator[str]:
    """A database of its own on BENCH_DATABASE_URL's server (default: this machine's), with
    the demo data at `scale`; dropped afterwards. Yields its URL."""
    server = os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    name = f"courtside_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        url = _admin_url(server, name)
        load_demo(url, scale=scale)
        analyze(url)
        yield url
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def analyze(url: str) -> None:
    """`ANALYZE` the database at `url`: the planner's statistics of a database in use.
    Measured right after a bulk load, the planner would still see the empty tables of the
    migrations (autovacuum analyzes within a minute or so, after the bench has begun): a
    signed-in page's statement took 36 ms un-analysed against 7-19 ms analysed."""
    asyncio.run(_admin(url, "ANALYZE"))


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(measure: Callable[[], list[Figure]]) -> int:
    """Print the load average, each figure `measure()` returns, and the load average again."""
    print(load_average())
    for figure in measure():
        print(figure.line())
    print(load_average())
    return 0
