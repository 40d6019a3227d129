"""The lock files cannot drift from the direct requirements they are written from (`make lock`):
every direct pin is locked at its version, every locked root is still a direct requirement,
every package carries hashes, and each lock keeps the versions of the one it is built on, so
the tests run what the image ships. The Makefile installs only from the locks, hash-checked."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import pytest

from tests.lockfiles import ROOT, canonical, direct_requirements, locked_versions, read_lock

LOCKS: dict[str, tuple[str, ...]] = {
    "api/requirements.lock": ("api/requirements.txt",),
    "api/requirements-otel.lock": ("api/requirements.txt", "api/requirements-otel.txt"),
    "requirements-dev.lock": ("requirements-dev.txt",),
    "requirements-uv.lock": ("requirements-uv.txt",),
}
"""Each lock file and the direct requirement files `make lock` writes it from."""

LAYERS = ("api/requirements.lock", "api/requirements-otel.lock", "requirements-dev.lock")
"""Each built with the one before as constraints: the runtime, plus tracing, plus dev tools."""


def _makefile_recipe(target: str) -> str:
    """The recipe lines of a Makefile rule (continuation lines joined)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)+)", text, re.MULTILINE)
    assert match, f"no rule for {target} in the Makefile"
    return match.group(1)


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_direct_requirement_is_locked_at_its_pinned_version(lock):
    versions = locked_versions(ROOT / lock)
    for direct in LOCKS[lock]:
        for name, version in direct_requirements(ROOT / direct).items():
            assert name in versions, f"{direct}: {name} is not in {lock}: run `make lock`"
            assert versions[name] == {version}, (
                f"{direct} pins {name}=={version}, {lock} has {sorted(versions[name])}: "
                "run `make lock`"
            )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_root_is_still_a_direct_requirement(lock):
    """A requirement removed from a direct file leaves its lock entry naming that file."""
    for pin in read_lock(ROOT / lock):
        for source in pin.via:
            if source.startswith("-r "):
                direct = source.removeprefix("-r ")
                assert pin.name in direct_requirements(ROOT / direct), (
                    f"{lock}: {pin.name} is locked as a requirement of {direct}, which no "
                    "longer has it: run `make lock`"
                )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_package_has_sha256_hashes(lock):
    pins = read_lock(ROOT / lock)
    assert pins
    for pin in pins:
        assert pin.hashes, f"{lock}: {pin.name} has no hash"
        for value in pin.hashes:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", value), f"{lock}: {pin.name}: {value}"


def test_each_lock_keeps_the_versions_of_the_one_it_is_built_on():
    """The dev lock pins the image's versions of everything the image has, and the tracing
    lock the runtime's: the tests exercise the dependencies that ship."""
    for below, above in itertools.pairwise(LAYERS):
        lower, upper = locked_versions(ROOT / below), locked_versions(ROOT / above)
        for name, versions in lower.items():
            assert name in upper, f"{above} lacks {name}, which {below} has"
            assert versions <= upper[name], f"{name}: {below} {versions}, {above} {upper[name]}"


def test_locks_were_written_by_make_lock():
    for lock in LOCKS:
        header = (ROOT / lock).read_text().splitlines()[:2]
        assert header[1].strip("# ") == "make lock", f"{lock}: not written by `make lock`"


def test_make_lock_writes_every_lock_from_its_direct_requirements():
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    compile_command = re.search(r"^UV_COMPILE = (.*)$", makefile, re.MULTILINE)
    assert compile_command
    assert {"pip", "compile", "--universal", "--generate-hashes"} <= set(
        compile_command.group(1).split()
    )
    written = {}
    for line in _makefile_recipe("lock").splitlines():
        words = line.split()
        if words[:1] == ["$(UV_COMPILE)"]:
            written[words[words.index("-o") + 1]] = tuple(w for w in words if w.endswith(".txt"))
    assert written == LOCKS


def test_lock_python_is_the_oldest_the_project_supports():
    """The universal locks hold for every Python from LOCK_PYTHON up: pyproject's minimum."""
    makefile = (ROOT / "Makefile").read_text()
    lock_python = re.search(r"^LOCK_PYTHON := (\S+)$", makefile, re.MULTILINE)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert lock_python
    assert project["requires-python"] == f">={lock_python.group(1)}"
    assert "--python-version $(LOCK_PYTHON)" in makefile


@pytest.mark.parametrize(
    ("target", "lock", "exact"),
    [
        ("$(VENV)/.app-installed", "api/requirements.lock", False),
        ("$(VENV)/.dev-installed", "requirements-dev.lock", True),
    ],
)
def test_the_makefile_installs_the_environments_through_the_lock_installer(target, lock, exact):
    """The app and dev environments are installed by scripts/install_lock.sh (tested in
    tests/test_install_lock.py: hash-checked, never re-resolved), each rebuilt when its lock
    changes; the dev lock, the whole environment, exactly."""
    prerequisites = re.search(
        rf"^{re.escape(target)}:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE
    )
    assert prerequisites
    assert lock in prerequisites.group(1).split(), f"{target} is not rebuilt when {lock} changes"
    recipe = _makefile_recipe(target)
    assert "pip install" not in recipe, "every install goes through scripts/install_lock.sh"
    (install,) = [line.split() for line in recipe.splitlines() if "install_lock.sh" in line]
    assert install[:3] == ["bash", "scripts/install_lock.sh", "$(VENV)"]
    assert install[3:] == ([lock, "--exact"] if exact else [lock])


def test_uv_itself_is_installed_from_its_hash_lock_without_resolving():
    """uv is one wheel without dependencies: the venv's pip installs exactly it (--no-deps)."""
    prerequisites = re.search(r"^\$\(UV\):(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert prerequisites
    assert "requirements-uv.lock" in prerequisites.group(1).split()
    (install,) = [line for line in _makefile_recipe("$(UV)").splitlines() if "pip install" in line]
    assert {"--require-hashes", "--no-deps"} <= set(install.split())
    assert re.findall(r"-r (\S+)", install) == ["requirements-uv.lock"]


def test_the_venv_is_created_without_an_unchecked_pip_upgrade():
    assert "pip install" not in _makefile_recipe("$(PY)")


def test_lock_parser_reads_markers_hashes_and_annotations(tmp_path: Path):
    lock = tmp_path / "example.lock"
    lock.write_text(
        "# This file was autogenerated by uv via the following command:\n"
        "#    make lock\n"
        "Async_Timeout==5.0.1 ; python_full_version < '3.11.3' \\\n"
        f"    --hash=sha256:{'a' * 64} \\\n"
        f"    --hash=sha256:{'b' * 64}\n"
        "    # via\n"
        "    #   -c api/requirements.lock\n"
        "    #   redis\n"
        "redis==8.1.0 \\\n"
        f"    --hash=sha256:{'c' * 64}\n"
        "    # via -r api/requirements.txt\n"
    )
    timeout, redis = read_lock(lock)
    assert (timeout.name, timeout.version) == ("async-timeout", "5.0.1")
    assert timeout.marker == "python_full_version < '3.11.3'"
    assert timeout.hashes == [f"sha256:{'a' * 64}", f"sha256:{'b' * 64}"]
    assert timeout.via == ["-c api/requirements.lock", "redis"]
    assert (redis.name, redis.marker, redis.via) == ("redis", None, ["-r api/requirements.txt"])
    assert canonical("Jinja2") == "jinja2"
