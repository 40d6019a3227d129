"""What the cold-process tests share (`test_route_groups`, `test_cold_cache_hit`): a
Lambda-like child process's environment and the modules it imported."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EVENT = REPO / "tests" / "api" / "runtime" / "events" / "function_url_teams.json"
"""A Function URL event for `GET /v1/teams?limit=50`."""


def child_env(url: str, function_name: str = "courtside-test") -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "OTEL_"))
    }
    env.update(
        PYTHONPATH=f"{REPO / 'api'}{os.pathsep}{REPO}",
        DATABASE_URL=url,
        ENVIRONMENT="local",
        AWS_LAMBDA_FUNCTION_NAME=function_name,
    )
    return env


def within(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules of `modules` that are one of `packages` or inside one, sorted."""
    return sorted(
        name
        for name in modules
        for package in packages
        if name == package or name.startswith(package + ".")
    )
