"""The pre-traffic hook (infra/release_check/handler.py) against stubbed Lambda and CodeDeploy
APIs: it invokes only the new version, waits while that version is not ready, and always tells
CodeDeploy — Succeeded only when every check passed."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infra.release_check import handler
from infra.release_check.handler import Check

VERSION = "arn:aws:lambda:eu-west-1:222222222222:function:courtside-public:42"
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-execution-1"}
CHECKS = [
    Check("GET", "/health/ready", 200, "application/json"),
    Check("GET", "/v1/teams", 200, "application/json", contains='"items"'),
]
ENVIRON = {
    "TARGET_VERSION_ARN": VERSION,
    "CHECKS": json.dumps([c.to_json() for c in CHECKS]),
    "PUBLIC_HOST": "api.staging.example.com",
}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def stubs():
    lambda_client = boto3.client("lambda", region_name="eu-west-1")
    codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
    with Stubber(lambda_client) as lambda_stub, Stubber(codedeploy) as codedeploy_stub:
        yield lambda_client, lambda_stub, codedeploy, codedeploy_stub
        lambda_stub.assert_no_pending_responses()
        codedeploy_stub.assert_no_pending_responses()


def _answer(stub: Stubber, status: int, content_type: str, body: str, error: str = "") -> None:
    payload = {"statusCode": status, "headers": {"content-type": content_type}, "body": body}
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": io.BytesIO(json.dumps(payload).encode()),
    }
    if error:
        response["FunctionError"] = error
    stub.add_response("invoke", response, {"FunctionName": VERSION, "Payload": ANY})


def _reported(stub: Stubber, status: str) -> None:
    stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": "hook-execution-1"},
        {
            "deploymentId": "d-ABCDEF123",
            "lifecycleEventHookExecutionId": "hook-execution-1",
            "status": status,
        },
    )


def _run(
    stubs: Any, clock: Clock | None = None, environ: dict[str, str] = ENVIRON
) -> dict[str, Any]:
    lambda_client, _, codedeploy, _ = stubs
    return handler.on_hook(
        EVENT,
        lambda_client=lambda_client,
        codedeploy_client=codedeploy,
        environ=environ,
        sleep=(clock or Clock()).sleep,
    )


def test_a_healthy_version_lets_the_release_go_on(stubs):
    _, lambda_stub, _, codedeploy_stub = stubs
    _answer(lambda_stub, 200, "application/json", '{"status": "ready"}')
    _answer(lambda_stub, 200, "application/json; charset=utf-8", '{"items": []}')
    _reported(codedeploy_stub, "Succeeded")

    result = _run(stubs)

    assert result["status"] == "Succeeded"
    assert [r["check"] for r in result["results"]] == ["GET /health/ready", "GET /v1/teams"]


def test_a_failed_check_fails_the_release(stubs):
    _, lambda_stub, _, codedeploy_stub = stubs
    _answer(lambda_stub, 200, "application/json", '{"status": "ready"}')
    _answer(lambda_stub, 404, "application/json", '{"error": {"code": "not_found"}}')
    _reported(codedeploy_stub, "Failed")

    result = _run(stubs)

    assert result["status"] == "Failed"
    (failed,) = [r for r in result["results"] if not r["ok"]]
    assert failed["check"] == "GET /v1/teams"
    assert failed["detail"].startswith("status 404, expected 200")


def test_a_crashing_version_fails_the_release(stubs):
    _, lambda_stub, _, codedeploy_stub = stubs
    _answer(lambda_stub, 0, "", "", error="Unhandled")
    _answer(lambda_stub, 0, "", "", error="Unhandled")
    _answer(lambda_stub, 0, "", "", error="Unhandled")  # retried as a 5xx
    _answer(lambda_stub, 200, "application/json", '{"items": []}')
    _reported(codedeploy_stub, "Failed")

    result = _run(stubs)

    assert result["results"][0]["detail"].startswith("status 502")
    assert "the function raised" in result["results"][0]["detail"]


def test_a_5xx_after_the_cold_start_is_retried(stubs):
    _, lambda_stub, _, codedeploy_stub = stubs
    _answer(lambda_stub, 503, "application/json", '{"error": {"code": "unavailable"}}')
    _answer(lambda_stub, 200, "application/json", '{"status": "ready"}')
    _answer(lambda_stub, 200, "application/json", '{"items": []}')
    _reported(codedeploy_stub, "Succeeded")

    clock = Clock()
    assert _run(stubs, clock)["status"] == "Succeeded"
    assert clock.slept == [handler.POLL_SECONDS]


def test_a_version_still_pending_is_waited_for(stubs):
    _, lambda_stub, _, codedeploy_stub = stubs
    lambda_stub.add_client_error("invoke", "ResourceConflictException", http_status_code=409)
    lambda_stub.add_client_error("invoke", "ResourceNotReadyException", http_status_code=502)
    _answer(lambda_stub, 200, "application/json", '{"status": "ready"}')
    _answer(lambda_stub, 200, "application/json", '{"items": []}')
    _reported(codedeploy_stub, "Succeeded")

    assert _run(stubs)["status"] == "Succeeded"


def test_a_version_that_never_gets_ready_fails_after_the_deadline(stubs):
    lambda_client, lambda_stub, _, _ = stubs
    clock = Clock()
    polls = int(handler.WAIT_SECONDS / handler.POLL_SECONDS) + 1
    for _ in range(polls):
        lambda_stub.add_client_error("invoke", "ResourceConflictException", http_status_code=409)

    results = handler.run_checks(
        lambda_client, VERSION, CHECKS[:1], host="h", sleep=clock.sleep, clock=clock
    )

    assert results[0]["ok"] is False
    assert results[0]["detail"].startswith("the version never became ready")
    assert clock.now == pytest.approx(handler.WAIT_SECONDS)


def test_codedeploy_is_told_even_when_the_hook_itself_breaks(stubs):
    _, _, _, codedeploy_stub = stubs
    _reported(codedeploy_stub, "Failed")

    result = _run(stubs, environ={"CHECKS": "[]"})  # no target version configured

    assert result["status"] == "Failed"
    assert "TARGET_VERSION_ARN" in result["results"][0]["detail"]


def test_no_checks_is_not_a_pass(stubs):
    _, _, _, codedeploy_stub = stubs
    _reported(codedeploy_stub, "Failed")

    assert _run(stubs, environ={**ENVIRON, "CHECKS": "[]"})["status"] == "Failed"


def test_the_event_is_a_function_url_request_as_cloudfront_forwards_it():
    event = handler.function_url_event(
        Check("POST", "/v1/ingest/teams", 401, "application/json"), host="api.example.com"
    )

    assert event["version"] == "2.0"
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == "/v1/ingest/teams"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["headers"]["x-forwarded-host"] == "api.example.com"
    assert event["headers"]["user-agent"] == handler.USER_AGENT
    assert "authorization" not in event["headers"]  # never credentials
    assert json.loads(event["body"]) == {}


def test_checks_round_trip_through_their_json():
    check = Check("GET", "/login", 200, "text/html", contains="<form")
    assert Check.from_json(json.loads(json.dumps(check.to_json()))) == check
