"""What the cold-process tests share (`test_route_groups`, `test_cold_cache_hit`): a
Lambda-like child process's environment and the modules it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


CHILD = """
import json, sys
from courtside.lambda_services.public import handler
event = json.load(open(sys.argv[1]))
class Context:
    aws_request_id = "cold"
answers = []
for target in json.loads(sys.argv[2]):
    path, _, query = target.partition("?")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    response = handler(event, Context())
    headers = response["headers"]
    answers.append({
        "status": response["statusCode"],
        "cache": headers.get("x-cache"),
        "retry_after": headers.get("retry-after"),
        "body": response["body"],
        "modules": sorted(sys.modules),
    })
print(json.dumps(answers))
"""
"""A cold public Lambda process answering Function URL events for `targets` in turn."""


def cold_public(targets: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """Each answer of a new public process (`CHILD`) to `targets`, with the modules it had
    imported by then."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(EVENT), json.dumps(targets)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    answers: list[dict[str, Any]] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answers
