"""The deploy-time migration runner (database/runner/handler.py) against a stubbed Lambda API.

It must not invoke a version that is still Pending (a fresh container image answers "pending"),
must give up with a clear error when the version never becomes Active, and must fail the deploy
whenever the migrator fails.
"""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from database.runner import handler

VERSION = "arn:aws:lambda:eu-west-1:111111111111:function:courtside-migrator:7"


def never_sleep(seconds: float) -> None:
    raise AssertionError(f"no retry expected (asked to sleep {seconds} s)")


class FakeClock:
    """Time that only moves when the runner sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def lambda_stub():
    client = boto3.client("lambda", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _state(stubber: Stubber, state: str, update: str = "Successful", reason: str = "") -> None:
    response: dict[str, Any] = {"State": state, "LastUpdateStatus": update}
    if reason:
        response["StateReason"] = reason
    stubber.add_response("get_function_configuration", response, {"FunctionName": VERSION})


def _invoke(stubber: Stubber, payload: dict[str, Any], function_error: str | None = None) -> None:
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": io.BytesIO(json.dumps(payload).encode()),
    }
    if function_error:
        response["FunctionError"] = function_error
    stubber.add_response(
        "invoke",
        response,
        {"FunctionName": VERSION, "InvocationType": "RequestResponse", "Payload": b"{}"},
    )


def test_waits_while_the_new_version_is_pending_then_migrates(lambda_stub):
    client, stubber = lambda_stub
    clock = FakeClock()
    _state(stubber, "Pending", "InProgress")
    _state(stubber, "Pending", "InProgress")
    _state(stubber, "Active")
    _invoke(stubber, {"status": "ok", "revision": "0007_app_role", "app_role": "courtside_app"})

    handler.wait_until_active(client, VERSION, clock=clock, sleep=clock.sleep)
    result = handler.invoke(client, VERSION)

    assert clock.sleeps == [handler.POLL_SECONDS, handler.POLL_SECONDS]
    assert result["status"] == "ok"


def test_on_event_reports_the_revision_to_cloudformation(lambda_stub):
    client, stubber = lambda_stub
    _state(stubber, "Active")
    _invoke(stubber, {"status": "ahead", "revision": "0009_future", "image_head": "0005"})
    event = {"RequestType": "Update", "ResourceProperties": {"MigratorVersionArn": VERSION}}

    response = handler.on_event(event, client=client)

    assert response["Data"] == {"status": "ahead", "revision": "0009_future"}
    assert response["PhysicalResourceId"] == "courtside-migrations"


def test_delete_does_nothing(lambda_stub):
    client, _ = lambda_stub
    event = {"RequestType": "Delete", "PhysicalResourceId": "courtside-migrations"}

    assert handler.on_event(event, client=client) == {"PhysicalResourceId": "courtside-migrations"}


def test_a_version_that_stays_pending_fails_the_deploy_at_the_deadline(lambda_stub):
    client, stubber = lambda_stub
    clock = FakeClock()
    polls = int(handler.WAIT_SECONDS / handler.POLL_SECONDS) + 1
    for _ in range(polls):
        _state(stubber, "Pending", "InProgress")

    with pytest.raises(handler.MigrationError, match=r"still Pending/InProgress after 300 s"):
        handler.wait_until_active(client, VERSION, clock=clock, sleep=clock.sleep)
    assert clock.now == pytest.approx(handler.WAIT_SECONDS)


def test_a_failed_version_fails_at_once_with_the_reason(lambda_stub):
    client, stubber = lambda_stub
    _state(stubber, "Failed", "Failed", reason="Image manifest not found")

    with pytest.raises(handler.MigrationError, match="Failed/Failed: Image manifest not found"):
        handler.wait_until_active(client, VERSION, sleep=never_sleep)


def test_a_migrator_that_raised_fails_the_deploy(lambda_stub):
    client, stubber = lambda_stub
    _invoke(
        stubber, {"errorMessage": "relation exists", "errorType": "ProgrammingError"}, "Unhandled"
    )

    with pytest.raises(handler.MigrationError, match="the migrator failed \\(Unhandled\\)"):
        handler.invoke(client, VERSION)


def test_an_unexpected_answer_fails_the_deploy(lambda_stub):
    client, stubber = lambda_stub
    _invoke(stubber, {"status": "maybe"})

    with pytest.raises(handler.MigrationError, match="did not succeed"):
        handler.invoke(client, VERSION)


def test_a_version_not_ready_yet_is_retried_then_given_up(lambda_stub):
    client, stubber = lambda_stub
    sleeps: list[float] = []
    for _ in range(2):
        stubber.add_client_error("invoke", "ResourceNotReadyException", http_status_code=502)
    _invoke(stubber, {"status": "ok", "revision": "0007_app_role"})

    assert handler.invoke(client, VERSION, sleep=sleeps.append)["status"] == "ok"
    assert len(sleeps) == 2

    for _ in range(handler.ATTEMPTS):
        stubber.add_client_error("invoke", "ResourceNotReadyException", http_status_code=502)
    with pytest.raises(handler.MigrationError, match="ResourceNotReadyException"):
        handler.invoke(client, VERSION, sleep=sleeps.append)


def test_access_denied_is_retried_while_iam_catches_up(lambda_stub):
    client, stubber = lambda_stub
    stubber.add_client_error(
        "get_function_configuration", "AccessDeniedException", http_status_code=403
    )
    _state(stubber, "Active")

    handler.wait_until_active(client, VERSION, sleep=lambda _: None)


def test_other_errors_are_not_retried(lambda_stub):
    client, stubber = lambda_stub
    stubber.add_client_error("invoke", "ResourceNotFoundException", http_status_code=404)

    with pytest.raises(handler.MigrationError, match="invoke failed: ResourceNotFoundException"):
        handler.invoke(client, VERSION, sleep=never_sleep)
