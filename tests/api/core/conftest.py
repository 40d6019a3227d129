"""Fixtures of the cold-process tests (`test_route_groups`, `test_cold_cache_hit`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.core.cold import child_env


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once (by `python -m courtside migrate`, as before each
    cold child until 2026-12-06: ~1 s of CPU each); each test's child gets its own copy."""
    path = tmp_path_factory.mktemp("cold") / "migrated.db"
    subprocess.run(
        [sys.executable, "-m", "courtside", "migrate"],
        env=child_env(f"sqlite+aiosqlite:///{path}"),
        check=True,
        capture_output=True,
    )
    return path
