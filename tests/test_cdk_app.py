"""cdk.json's app command: app.py under .venv, or an error that says how to create it.

The real CLI path (`cdk synth` through this command) is tests/infra/test_infra_validators.py's."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "sh scripts/cdk_app.sh"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A directory laid out like the repository root, with a stand-in app.py."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "cdk_app.sh", tmp_path / "scripts")
    (tmp_path / "app.py").write_text("print('app.py ran')\n")
    return tmp_path


def _run(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        COMMAND.split(), cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )


def _venv_python(checkout: Path, body: str) -> None:
    python = checkout / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\n{body}\n")
    python.chmod(0o755)


def test_cdk_json_runs_the_wrapper():
    assert json.loads((ROOT / "cdk.json").read_text())["app"] == COMMAND


def test_without_a_venv_it_says_how_to_create_one(checkout):
    result = _run(checkout)

    assert result.returncode == 1
    assert ".venv/bin/python not found" in result.stderr
    assert "make synth ENV=dev" in result.stderr
    assert "app.py ran" not in result.stdout


def test_a_venv_without_the_cdk_is_named(checkout):
    # -S: no site-packages, so aws_cdk cannot be found (as in a venv `make run` made).
    _venv_python(checkout, f'exec "{sys.executable}" -S "$@"')

    result = _run(checkout)

    assert result.returncode == 1
    assert "no aws-cdk-lib" in result.stderr
    assert "make synth ENV=dev" in result.stderr


def test_with_the_venv_it_runs_app_py(checkout):
    _venv_python(checkout, f'exec "{sys.executable}" "$@"')

    result = _run(checkout)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "app.py ran\n"
