"""`make help` is truthful: every target it lists exists, and `.PHONY` names no target that
does not (it once named `typecheck` and `check`)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKEFILES = [ROOT / "Makefile", ROOT / "infra.mk"]


def _defined() -> set[str]:
    text = "\n".join(path.read_text() for path in MAKEFILES)
    return set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", text, re.M))


def _phony() -> set[str]:
    text = "\n".join(path.read_text() for path in MAKEFILES)
    return {name for line in re.findall(r"^\.PHONY:(.*)$", text, re.M) for name in line.split()}


def test_every_phony_name_is_a_target():
    assert _phony() - _defined() == set()


def test_make_help_lists_only_targets_that_exist():
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    names = {line.split("\t")[0] for line in listed.splitlines() if line}

    assert {"run", "test", "lint", "create-admin", "synth"} <= names
    assert names <= _defined()
