"""scripts/install_lock.sh, which every install of the Makefile goes through, takes a lock as it is
written: a newer release on the index never replaces a locked one, a lock that misses a dependency
is refused, and `--exact` removes what the lock no longer has.

The packages here are built by the test into a local index (`--find-links`, no other index): `app`
requires `dep[toml]>=1.0` and the index has dep 1.0 and 2.0, the shape of pytest-cov's
`coverage[toml]` that pip 23.2 re-resolved against the index on 2026-12-06, refusing the lock."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.lockfiles import ROOT

SCRIPT = ROOT / "scripts" / "install_lock.sh"
UV = Path(sys.executable).parent / "uv"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(index: Path, name: str, version: str, *, requires: tuple[str, ...] = ()) -> Path:
    """A minimal pure-Python wheel with one module, `name`, whose VERSION is `version`."""
    info = f"{name}-{version}.dist-info"
    metadata = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {name}",
            f"Version: {version}",
            "Provides-Extra: toml",
            *(f"Requires-Dist: {requirement}" for requirement in requires),
        ]
    )
    files = {
        f"{name}.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": (metadata + "\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = index / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def lock_line(wheel: Path, name: str, version: str) -> str:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f"{name}=={version} \\\n    --hash=sha256:{digest}\n"


@pytest.fixture
def index(tmp_path: Path) -> dict[str, Path]:
    directory = tmp_path / "index"
    directory.mkdir()
    return {
        "app": build_wheel(directory, "app", "1.0", requires=("dep[toml]>=1.0",)),
        "dep-1.0": build_wheel(directory, "dep", "1.0"),
        "dep-2.0": build_wheel(directory, "dep", "2.0"),
        "extra": build_wheel(directory, "extra", "1.0"),
    }


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtualenv with the project's uv in it, where the script looks for it."""
    path = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (path / "bin" / "uv").symlink_to(UV)
    return path


def install(venv: Path, lock: Path, index: dict[str, Path], *flags: str):
    env = {
        **os.environ,
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": str(index["app"].parent),
        "UV_CACHE_DIR": str(venv.parent / "uv-cache"),
    }
    return subprocess.run(
        ["bash", str(SCRIPT), str(venv), str(lock), *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def installed(venv: Path) -> dict[str, str]:
    script = "import importlib.metadata as m; print({d.name: d.version for d in m.distributions()})"
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True
    )
    found: dict[str, str] = eval(completed.stdout)  # noqa: S307 - our own repr of a dict of str
    return found


@pytest.mark.parametrize("flags", [(), ("--exact",)], ids=["install", "exact"])
def test_a_newer_release_on_the_index_never_replaces_the_locked_one(tmp_path, index, venv, flags):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        lock_line(index["app"], "app", "1.0") + lock_line(index["dep-1.0"], "dep", "1.0")
    )
    completed = install(venv, lock, index, *flags)
    assert completed.returncode == 0, completed.stderr
    assert installed(venv) == {"app": "1.0", "dep": "1.0"}


def test_a_lock_missing_a_dependency_is_refused(tmp_path, index, venv):
    lock = tmp_path / "requirements.lock"
    lock.write_text(lock_line(index["app"], "app", "1.0"))
    completed = install(venv, lock, index)
    assert completed.returncode != 0
    assert "dep" in completed.stdout + completed.stderr
    assert "dep" not in installed(venv), "the missing dependency was resolved from the index"


def test_a_file_whose_hash_is_not_locked_is_refused(tmp_path, index, venv):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        lock_line(index["app"], "app", "1.0")
        + lock_line(index["dep-2.0"], "dep", "1.0")  # dep 1.0's name, another file's hash
    )
    completed = install(venv, lock, index)
    assert completed.returncode != 0
    assert "hash" in completed.stderr.lower()


def test_exact_removes_what_the_lock_no_longer_has_and_plain_install_only_adds(
    tmp_path, index, venv
):
    whole = tmp_path / "whole.lock"
    whole.write_text(
        lock_line(index["app"], "app", "1.0")
        + lock_line(index["dep-1.0"], "dep", "1.0")
        + lock_line(index["extra"], "extra", "1.0")
    )
    assert install(venv, whole, index, "--exact").returncode == 0
    smaller = tmp_path / "smaller.lock"
    smaller.write_text(
        lock_line(index["app"], "app", "1.0") + lock_line(index["dep-1.0"], "dep", "1.0")
    )
    assert install(venv, smaller, index).returncode == 0
    assert "extra" in installed(venv)
    assert install(venv, smaller, index, "--exact").returncode == 0
    assert installed(venv) == {"app": "1.0", "dep": "1.0"}


def test_usage_errors_exit_2(tmp_path, venv):
    completed = subprocess.run(
        ["bash", str(SCRIPT), str(venv)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "usage" in completed.stderr
