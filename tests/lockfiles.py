"""Reading the requirement files: the direct ones (pinned by hand, `-r` includes followed) and
the lock files `make lock` writes from them (uv's requirements format, hashes and annotations).

A lock is uv's requirements-file output: one `name==version [; marker] \\` line per package,
its `--hash=` lines, then `# via` lines naming what requires it (`-r file` for a direct
requirement of that file, `-c file` for a constraint, else the requiring packages)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PIN = re.compile(r"([A-Za-z0-9._-]+)(?:\[[^\]]+\])?==([0-9][^ ;\\]*)\s*(?:;\s*([^\\]+?))?\s*\\?")


def canonical(name: str) -> str:
    """PEP 503's normalized name: `Jinja2`, `typing_extensions` -> `jinja2`, `typing-extensions`."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Pin:
    """One package of a lock: its version, environment marker, hashes and `# via` sources."""

    name: str
    version: str
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def direct_requirements(path: Path) -> dict[str, str]:
    """name -> pinned version of a direct requirement file, its `-r` includes followed."""
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins.update(direct_requirements(path.parent / line.removeprefix("-r ").strip()))
            continue
        match = _PIN.fullmatch(line)
        assert match, f"{path.name}: not pinned with ==: {line}"
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def read_lock(path: Path) -> list[Pin]:
    """The packages of a lock file, in file order (a package may appear once per marker)."""
    pins: list[Pin] = []
    in_via = False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not pins):
            continue  # the header
        if not raw.startswith((" ", "\t")):
            match = _PIN.fullmatch(line)
            assert match, f"{path.name}: not a pinned requirement: {line}"
            marker = match.group(3).strip() if match.group(3) else None
            pins.append(Pin(canonical(match.group(1)), match.group(2), marker))
            in_via = False
        elif line.startswith("--hash="):
            pins[-1].hashes.append(line.removeprefix("--hash=").rstrip(" \\"))
        elif line.startswith("# via"):
            in_via = True
            rest = line.removeprefix("# via").strip()
            if rest:
                pins[-1].via.append(rest)
        elif in_via and line.startswith("#"):
            pins[-1].via.append(line.removeprefix("#").strip())
        else:
            raise AssertionError(f"{path.name}: unexpected line: {raw}")
    return pins


def locked_versions(path: Path) -> dict[str, set[str]]:
    """name -> the versions a lock pins (more than one only where markers split them)."""
    versions: dict[str, set[str]] = {}
    for pin in read_lock(path):
        versions.setdefault(pin.name, set()).add(pin.version)
    return versions
