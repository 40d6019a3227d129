"""Deploy-time migration runner: the custom resource's handler (a zip function, stdlib + boto3).

CloudFormation creates or updates the ``Custom::Migrations`` resource whenever the migrator's
image version changes. This handler then

1. waits until that function version can be invoked: a container-image version answers
   "pending" for a while after it is published (CDK's own trigger invokes at once and retries
   only AccessDenied, so a deploy failed at random); ``Failed`` / ``Inactive`` and the deadline
   end the wait with an error that says which;
2. invokes it synchronously (``alembic upgrade head``, then the app role's password) and fails
   the resource — so the deploy, before any new code takes traffic — when the migrator raised or
   answered anything but ``ok`` / ``ahead``.

The custom-resource framework (``custom_resources.Provider``) turns a raised exception into a
FAILED response, including when this function times out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

WAIT_SECONDS = 300
"""How long a new version may stay Pending before the deploy fails."""
POLL_SECONDS = 5.0
RETRYABLE_ERRORS = frozenset(
    {
        "ResourceNotReadyException",
        "ResourceConflictException",
        "TooManyRequestsException",
        # This function's role and policy are created in the same deploy; IAM takes a moment.
        "AccessDeniedException",
    }
)
ATTEMPTS = 5
SUCCESS = frozenset({"ok", "ahead"})


class MigrationError(RuntimeError):
    """The migrator could not be run, or ran and failed."""


def _client() -> Any:  # pragma: no cover - the Lambda runtime has boto3
    import boto3
    from botocore.config import Config

    # The read timeout outlasts the migrator's own timeout (at most 15 minutes).
    return boto3.client(
        "lambda", config=Config(read_timeout=905, connect_timeout=10, retries={"max_attempts": 2})
    )


def _call(
    method: Callable[..., Any],
    *,
    attempts: int,
    poll_seconds: float,
    sleep: Callable[[float], None],
    **kwargs: Any,
) -> Any:
    """`method(**kwargs)`, retried a bounded number of times on the transient errors."""
    from botocore.exceptions import ClientError

    for attempt in range(1, attempts + 1):
        try:
            return method(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE_ERRORS or attempt == attempts:
                raise MigrationError(f"{method.__name__} failed: {code or exc}") from exc
            sleep(poll_seconds)
    raise AssertionError("unreachable")  # pragma: no cover


def wait_until_active(
    client: Any,
    function: str,
    *,
    wait_seconds: float = WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once `function` (a version ARN) is Active and not being updated; raise otherwise."""
    deadline = clock() + wait_seconds
    while True:
        config = _call(
            client.get_function_configuration,
            attempts=ATTEMPTS,
            poll_seconds=poll_seconds,
            sleep=sleep,
            FunctionName=function,
        )
        state = config.get("State", "Active")
        update = config.get("LastUpdateStatus", "Successful")
        if state == "Active" and update != "InProgress":
            return
        if state in ("Failed", "Inactive") or update == "Failed":
            reason = config.get("StateReason") or config.get("LastUpdateStatusReason") or ""
            raise MigrationError(f"{function} is {state}/{update}: {reason}".rstrip(": "))
        if clock() >= deadline:
            raise MigrationError(
                f"{function} still {state}/{update} after {wait_seconds:.0f} s; not migrating"
            )
        sleep(poll_seconds)


def invoke(
    client: Any,
    function: str,
    *,
    attempts: int = ATTEMPTS,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run the migrator once and return its answer; raise on any failure."""
    response = _call(
        client.invoke,
        attempts=attempts,
        poll_seconds=poll_seconds,
        sleep=sleep,
        FunctionName=function,
        InvocationType="RequestResponse",
        Payload=b"{}",
    )
    payload = response["Payload"].read().decode("utf-8", "replace")
    if response.get("FunctionError"):
        raise MigrationError(f"the migrator failed ({response['FunctionError']}): {payload[:2000]}")
    try:
        result = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise MigrationError(
            f"the migrator answered something that is not JSON: {payload[:200]}"
        ) from exc
    if not isinstance(result, dict) or result.get("status") not in SUCCESS:
        raise MigrationError(f"the migrator did not succeed: {payload[:2000]}")
    return result


def on_event(event: dict[str, Any], context: Any = None, *, client: Any = None) -> dict[str, Any]:
    """The `Provider`'s onEvent handler: migrate on Create and Update, nothing on Delete."""
    physical_id = event.get("PhysicalResourceId") or "courtside-migrations"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": physical_id}
    function = event["ResourceProperties"]["MigratorVersionArn"]
    lambda_client = client or _client()
    wait_until_active(lambda_client, function)
    result = invoke(lambda_client, function)
    data = {key: str(value) for key, value in result.items() if key in ("status", "revision")}
    return {"PhysicalResourceId": physical_id, "Data": data}
