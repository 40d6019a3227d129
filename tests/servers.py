"""Servers a test starts for itself, to break: never the machine's shared PostgreSQL or Redis.

- `OwnRedis`: a redis-server on a free port of 127.0.0.1; `kill`, `pause`/`resume` (SIGSTOP:
  a server that hangs instead of refusing), `start` again on the same port, `save` a snapshot.
- `OwnPostgres`: a PostgreSQL cluster initdb'ed into a temporary directory, run as the
  `postgres` OS user (PostgreSQL refuses to run as root), trust authentication on 127.0.0.1;
  `stop` (fast, immediate), `start`, `restart`.
- `AppInstance`: the app under uvicorn in its own process, as `make run` serves it.
- `free_port()`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A redis-server of a test's own; `start` again brings it back on the same port (with
    the data of the last `save`, if any)."""

    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        options = {"port": str(self.port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        options.update(dir=str(self.workdir), dbfilename="dump.rdb")
        self.process = subprocess.Popen(
            [
                "redis-server",
                *(part for name, value in options.items() for part in (f"--{name}", value)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.cli("PING", attempts=200)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def save(self) -> None:
        self.cli("SAVE")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.kill()

    def cli(self, *command: str, attempts: int = 1) -> str:
        result = None
        for _ in range(attempts):
            result = subprocess.run(
                ["redis-cli", "-p", str(self.port), *command],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if result.returncode == 0 and "ERR" not in result.stdout:
                return result.stdout
            time.sleep(0.05)
        assert result is not None
        raise AssertionError(f"redis-cli {command}: {result.stdout}{result.stderr}")


def postgres_bin(name: str) -> str:
    """A PostgreSQL server binary: on the PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    if not candidates:
        raise RuntimeError(f"{name} not found: install the PostgreSQL server package")
    return candidates[-1]


def as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run a command as the `postgres` OS user (PostgreSQL refuses to run as root)."""
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=check, capture_output=True)


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free port (trust auth, fsync off)."""

    def __init__(self, *, initdb_args: tuple[str, ...] = ("-A", "trust")) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="courtside-pg-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            shutil.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.extra_options = ""
        as_postgres(postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", *initdb_args)

    def url(self, database: str = "postgres", *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> OwnPostgres:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c full_page_writes=off {self.extra_options}"
        )
        as_postgres(
            postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        as_postgres(
            postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
            check=False,
        )  # fmt: skip

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = as_postgres(
            postgres_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql,
        )  # fmt: skip
        return result.stdout.decode()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class AppInstance:
    """The app under uvicorn in a process of its own (`make run`'s command line), with `env`
    on top of a clean environment; `base` is its URL."""

    def __init__(self, env: dict[str, str], log: Path, *, startup_seconds: float = 60) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        clean = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "REDIS_", "DB_", "CACHE_", "OTEL_"))
            and key not in ("BEHIND_CLOUDFRONT", "AWS_LAMBDA_FUNCTION_NAME")
        }
        clean.update(ENVIRONMENT="local", LOG_LEVEL="ERROR", PYTHONPATH=str(REPO / "api"))
        clean.update(env)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "courtside.main:app"),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                    *("--no-proxy-headers", "--no-access-log"),
                ],
                cwd=REPO,
                env=clean,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up(startup_seconds)

    def _wait_until_up(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with httpx.Client(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"uvicorn exited with {self.process.returncode}:\n{self.log.read_text()}"
                    )
                try:
                    if http.get(f"{self.base}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    time.sleep(0.2)
        self.stop()
        raise AssertionError(f"uvicorn did not answer within {seconds}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
