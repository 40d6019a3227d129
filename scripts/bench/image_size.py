"""The Lambda image's dependencies on disk, with bytecode, as the Dockerfile builds them.

    .venv/bin/python scripts/bench/image_size.py

For each architecture: `pip install --target --require-hashes` of api/requirements.lock for
CPython 3.12 (manylinux wheels, as the image installs them), `api/slim_dependencies.py` (as the
image's first stage runs it; the other architecture's libraries are stripped by `llvm-strip`),
then bytecode compiled into `__pycache__` (the image compiles with its own Python 3.12; here this
interpreter compiles, whose bytecode is about the same size). Reported in MB (10^6 bytes)
against the goal of 60 MB with bytecode.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import API_DIR, Figure

GOAL_MB = 60.0


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def installed_size(platform: str) -> tuple[float, float]:
    """(MB as pip installs it, MB slimmed and with bytecode) for `platform`."""
    with tempfile.TemporaryDirectory(prefix="courtside-image-") as tmp:
        target = Path(tmp) / "target"
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile"),
                *("--disable-pip-version-check", "--only-binary=:all:", "--implementation=cp"),
                *("--python-version=3.12", "--abi=cp312", f"--platform=manylinux2014_{platform}"),
                *(f"--platform=manylinux_2_28_{platform}", "--target", str(target)),
                *("--require-hashes", "-r", str(API_DIR / "requirements.lock")),
            ],
            check=True,
            capture_output=True,
        )
        installed = _size(target)
        strip = "strip" if platform == os.uname().machine else "llvm-strip"
        slimmed = subprocess.run(
            [sys.executable, str(API_DIR / "slim_dependencies.py"), str(target)],
            env={**os.environ, "STRIP": strip},
            capture_output=True,
            text=True,
            check=False,
        )
        if slimmed.returncode != 0:
            raise SystemExit(f"slim_dependencies.py failed:\n{slimmed.stderr[-2000:]}")
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", str(target)],
            check=False,  # files written for other Pythons may not compile here; counted as is
            capture_output=True,
        )
        return installed / 1e6, _size(target) / 1e6


def measure() -> list[Figure]:
    figures = []
    for platform in ("x86_64", "aarch64"):
        installed, final = installed_size(platform)
        figures.append(
            Figure(
                name=f"image dependencies, {platform}, with bytecode",
                floor=None,
                project=final,
                unit="MB",
                goal=f"<= {GOAL_MB:g} MB",
                met=final <= GOAL_MB,
                note=f"{installed:.1f} MB as pip installs them, before slimming and bytecode",
            )
        )
    return figures


def main() -> int:
    for figure in measure():
        print(figure.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
