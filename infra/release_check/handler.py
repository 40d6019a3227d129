"""CodeDeploy ``BeforeAllowTraffic`` hook: smoke-tests a function's new version before any
viewer reaches it (a zip function, stdlib + boto3).

Every release of a service goes through CodeDeploy (all at once in dev, a 10 % canary in staging
and prod). Before CodeDeploy moves the first request to the new version, it calls this hook,
which invokes **that version** directly (``TARGET_VERSION_ARN``, set by the stack to the version
the deploy just published) with Function URL events — the shape CloudFront's requests arrive
in — for each of the service's checks (``CHECKS``: method, path, expected status, content type,
and text the body must hold), and reports ``Succeeded`` or ``Failed`` to CodeDeploy. A failed
check fails the deployment: the alias never moves, CloudFormation rolls the stack back, and the
deploy workflow stops before the next environment. Unlike the canary's alarms, which need real
traffic to fire (staging has little), this runs on every deploy, against the real database and
cache, with the code that is about to serve.

A version that is still being set up (a container image answers "pending" for a while) is
retried until ``WAIT_SECONDS``; a check's 5xx is retried a few times (a cold start right after
the deploy). The results are logged as one JSON line and returned.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WAIT_SECONDS = 300
"""How long the new version may stay not-ready (Pending) before the release fails."""
POLL_SECONDS = 5.0
CHECK_ATTEMPTS = 3
"""Tries per check on a 5xx answer (a cold start may time out a dependency once)."""
NOT_READY_ERRORS = frozenset(
    {"ResourceNotReadyException", "ResourceConflictException", "TooManyRequestsException"}
)
USER_AGENT = "courtside-release-check/1"


@dataclass(frozen=True)
class Check:
    """One request to the new version and what its answer must be."""

    method: str
    path: str
    status: int
    content_type: str
    contains: str = ""
    """Text the body must hold (e.g. a page's ``<form``); empty: anything."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Check:
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            status=int(data["status"]),
            content_type=str(data["content_type"]),
            contains=str(data.get("contains", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "content_type": self.content_type,
            "contains": self.contains,
        }


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: str


class NotReady(RuntimeError):
    """The version could not be invoked yet."""


def function_url_event(check: Check, *, host: str) -> dict[str, Any]:
    """A Function URL (payload 2.0) request as CloudFront forwards it: the public host in
    ``X-Forwarded-Host`` (the app trusts it behind CloudFront), no credentials."""
    headers = {
        "host": "release-check.lambda-url.invalid",
        "x-forwarded-host": host,
        "x-forwarded-proto": "https",
        "accept": "*/*",
        "user-agent": USER_AGENT,
    }
    body = None
    if check.method in ("POST", "PUT", "PATCH"):
        headers["content-type"] = "application/json"
        body = "{}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": check.path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "release-check",
            "domainName": headers["host"],
            "domainPrefix": "release-check",
            "http": {
                "method": check.method,
                "path": check.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": USER_AGENT,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def evaluate(check: Check, answer: Answer) -> str:
    """'' when `answer` is what `check` expects, else what is wrong."""
    content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
    if answer.status != check.status:
        return f"status {answer.status}, expected {check.status}: {answer.body[:200]!r}"
    if not content_type.startswith(check.content_type):
        return f"content-type {content_type!r}, expected {check.content_type}"
    if check.contains and check.contains not in answer.body:
        return f"no {check.contains!r} in the body"
    return ""


def invoke(client: Any, version_arn: str, event: Mapping[str, Any]) -> Answer:
    """Invoke the version synchronously and read its Function URL response."""
    try:
        reply = client.invoke(FunctionName=version_arn, Payload=json.dumps(event).encode())
    except client.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in NOT_READY_ERRORS:
            raise NotReady(f"{code}: {error}") from error
        raise
    payload = reply["Payload"].read()
    if reply.get("FunctionError"):
        return Answer(502, {}, f"the function raised: {payload[:500]!r}")
    data = json.loads(payload)
    body = data.get("body") or ""
    if data.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return Answer(int(data.get("statusCode", 0)), dict(data.get("headers") or {}), body)


def run_checks(
    client: Any,
    version_arn: str,
    checks: Sequence[Check],
    *,
    host: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, Any]]:
    """Every check against the version: ``{"check", "ok", "detail"}`` each, none skipped."""
    deadline = clock() + WAIT_SECONDS
    results = []
    for check in checks:
        name = f"{check.method} {check.path}"
        problem, answered = "", 0
        while True:
            try:
                answer = invoke(client, version_arn, function_url_event(check, host=host))
            except NotReady as not_ready:  # waits count against the deadline, not the tries
                if clock() >= deadline:
                    problem = f"the version never became ready: {not_ready}"
                    break
                sleep(POLL_SECONDS)
                continue
            answered += 1
            problem = evaluate(check, answer)
            if answer.status < 500 or answered >= CHECK_ATTEMPTS:
                break
            sleep(POLL_SECONDS)
        results.append({"check": name, "ok": not problem, "detail": problem or "ok"})
    return results


def on_hook(
    event: Mapping[str, Any],
    context: object = None,
    *,
    lambda_client: Any = None,
    codedeploy_client: Any = None,
    environ: Mapping[str, str] = os.environ,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The hook's entry point: check, then tell CodeDeploy (always, or the deployment would
    wait an hour for an answer)."""
    if lambda_client is None or codedeploy_client is None:  # pragma: no cover - on Lambda
        import boto3

        lambda_client = lambda_client or boto3.client("lambda")
        codedeploy_client = codedeploy_client or boto3.client("codedeploy")
    try:
        checks = [Check.from_json(c) for c in json.loads(environ["CHECKS"])]
        results = run_checks(
            lambda_client,
            environ["TARGET_VERSION_ARN"],
            checks,
            host=environ["PUBLIC_HOST"],
            sleep=sleep,
        )
        status = "Succeeded" if checks and all(r["ok"] for r in results) else "Failed"
    except Exception as error:
        results = [{"check": "release check", "ok": False, "detail": repr(error)}]
        status = "Failed"
    print(json.dumps({"release_check": status, "results": results}))
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return {"status": status, "results": results}
