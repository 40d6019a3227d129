"""Make the Lambda image's installed dependencies smaller without changing what runs.

    python slim_dependencies.py <target>     # the directory `pip install --target` filled

Run by the Dockerfile after installing the runtime requirements, and by the image-size
benchmark (`scripts/bench/image_size.py`) on the same directory layout:

- strips debug symbols from compiled extensions (`strip --strip-unneeded`): the wheels of
  asyncpg, SQLAlchemy, pydantic-core and others ship them, about 20 MB of the image;
- removes what is only read by compilers and type checkers (`.pyx`, `.pxd`, `.c`, `.h`,
  `.pyi`), and test suites that packages ship (`*/tests`, `sqlalchemy/testing`);
- removes SQLAlchemy's dialects for databases the app never uses (MySQL, Oracle, SQL
  Server): the app connects to PostgreSQL (asyncpg) or SQLite (aiosqlite) only;
- removes the parts of Powertools for AWS Lambda the app never imports (about 6 MB of its
  7.6): it uses its logging formatter and `parameters` (secrets), which with the package's
  own `__init__` load `logging`, `metrics`, `tracing`, `shared` and the `jmespath_utils`,
  `parameters` and `typing` utilities — the event handler and the other utilities go.

Bytecode is compiled afterwards (the Dockerfile's `compileall`), so what is removed here is
never compiled either. `STRIP` names the strip tool (default `strip`: the image builds each
architecture natively; another architecture's libraries need e.g. `llvm-strip`). Without one
on the PATH, symbols are kept and this says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE_SUFFIXES = (".pyx", ".pxd", ".c", ".h", ".pyi")
UNUSED_PACKAGES = (
    "sqlalchemy/dialects/mysql",
    "sqlalchemy/dialects/oracle",
    "sqlalchemy/dialects/mssql",
    "sqlalchemy/testing",
    "aws_lambda_powertools/event_handler",
    *(
        f"aws_lambda_powertools/utilities/{name}"
        for name in (
            "auth_alpha",
            "batch",
            "circuit_breaker",
            "data_classes",
            "data_masking",
            "feature_flags",
            "idempotency",
            "kafka",
            "metadata",
            "parser",
            "streaming",
            "validation",
        )
    ),
)


def slim(target: Path) -> tuple[int, int]:
    """Slim `target` in place; returns (bytes before, bytes after)."""
    before = _size(target)
    for relative in UNUSED_PACKAGES:
        shutil.rmtree(target / relative, ignore_errors=True)
    for tests in [p for p in target.glob("*/tests") if p.is_dir()]:
        shutil.rmtree(tests, ignore_errors=True)
    for path in target.rglob("*"):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            path.unlink()
    tool = os.environ.get("STRIP", "strip")
    strip = shutil.which(tool)
    if strip is None:
        print(f"slim_dependencies: no {tool!r} on the PATH; debug symbols kept", file=sys.stderr)
    else:
        libraries = [str(path) for path in target.rglob("*.so*") if path.is_file()]
        if libraries:
            subprocess.run([strip, "--strip-unneeded", *libraries], check=True)  # noqa: S603
    return before, _size(target)


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    before, after = slim(Path(argv[0]))
    print(f"dependencies: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
