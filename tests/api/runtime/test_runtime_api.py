"""The image's real entry path, `python -m awslambdaric <CMD handler>`, against a stub of the
Lambda Runtime API: the deploy-time migration handler, then the API handler answering a
Function URL event, with a JSON log line in Powertools' format carrying Lambda's request id as
its correlation id."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.api.runtime.conftest import load_event
from tests.api.runtime.runtime_api_stub import RuntimeApiStub
from tests.api.runtime.test_image import API_DIR, cmd_handler

RESULT_TIMEOUT_SECONDS = 60


def _environment(database: Path, runtime_api: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "PYTEST_", "OTEL_"))
    }
    env.update(
        PYTHONPATH=str(API_DIR),
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        ENVIRONMENT="local",
        LOG_LEVEL="INFO",
        AWS_LAMBDA_FUNCTION_NAME="courtside-test",
        AWS_LAMBDA_RUNTIME_API=runtime_api,
        AWS_REGION="us-east-1",
    )
    return env


def run_through_runtime(
    handler: str, events: list[dict[str, Any]], database: Path
) -> tuple[list[tuple[str, str, Any]], str]:
    """Start `python -m awslambdaric handler`, feed it `events`, collect the results and output."""
    with RuntimeApiStub(events) as stub:
        process = subprocess.Popen(
            [sys.executable, "-m", "awslambdaric", handler],
            env=_environment(database, stub.address),
            cwd=API_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            results = [stub.result(timeout=RESULT_TIMEOUT_SECONDS) for _ in events]
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=30)
    return results, output


def test_migration_entry_point_then_api_handler_through_awslambdaric(tmp_path):
    database = tmp_path / "courtside.db"

    results, output = run_through_runtime("courtside.migrate.handler", [{}], database)
    (_, kind, payload) = results[0]
    assert kind == "response", output
    assert payload["status"] == "ok"
    assert payload["revision"]

    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
            "VALUES ('BOS', 'Boston', 'Celtics', 'East', 'Atlantic', '2026-11-01 00:00:00')"
        )

    events = [load_event("function_url_teams.json"), load_event("function_url_teams.json")]
    results, output = run_through_runtime(cmd_handler(), events, database)
    assert [kind for _, kind, _ in results] == ["response", "response"], output
    first, second = (payload for _, _, payload in results)
    assert first["statusCode"] == 200
    assert [team["abbreviation"] for team in json.loads(first["body"])["items"]] == ["BOS"]
    assert first["headers"]["x-request-id"] == "stub-request-0"
    assert (first["headers"]["x-cache"], second["headers"]["x-cache"]) == ("miss", "hit")

    request_logs = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"courtside.request"' in line
    ]
    # Powertools' JSON line: Lambda's request id is the correlation id.
    assert [(log["correlation_id"], log["status"], log["path"]) for log in request_logs] == [
        ("stub-request-0", 200, "/v1/teams"),
        ("stub-request-1", 200, "/v1/teams"),
    ]
    for log in request_logs:
        assert isinstance(log["latency_ms"], float)
        assert (log["level"], log["service"], log["logger"]) == (
            "INFO",
            "courtside",
            "courtside.request",
        )
        assert log["message"] == "GET /v1/teams 200"
        assert datetime.fromisoformat(log["timestamp"]).utcoffset() == timedelta(0)
        assert not {"request_id", "aws_request_id", "courtside_fields", "location"} & set(log)


def test_a_failing_handler_is_reported_as_an_invocation_error(tmp_path):
    """A CMD naming a handler that cannot be imported fails loudly: the runtime reports it to
    the Runtime API instead of answering."""
    results, output = run_through_runtime(
        "courtside.no_such_module.handler", [{}], tmp_path / "none.db"
    )
    (_, kind, payload) = results[0]
    assert kind in ("init_error", "error"), output
    assert "no_such_module" in json.dumps(payload)
