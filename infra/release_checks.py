"""What each service's pre-traffic hook checks, and the hook function itself.

The hook (`infra/release_check/handler.py`) runs in CodeDeploy's ``BeforeAllowTraffic`` step of
every release: it invokes the new version directly and fails the release when one of the
service's checks fails, before any viewer reaches that version (docs/deploy.md, "Promotion").
A service is checked on the route groups it serves: a split service only answers its own paths.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from courtside.services_registry import Service
from infra.functions import LogSettings
from infra.nag import acknowledge_lambda_managed_policies
from infra.release_check.handler import WAIT_SECONDS, Check

HOOK_DIRECTORY = Path(__file__).resolve().parent / "release_check"
HOOK_RUNTIME = lambda_.Runtime.PYTHON_3_14

CHECKS_BY_GROUP: Mapping[str, tuple[Check, ...]] = {
    # The database answers (`/health/ready` runs a query), through the service's own role.
    "health": (Check("GET", "/health/ready", 200, "application/json"),),
    # Reference data: the public API, the cache and the database role's grants.
    "reference": (Check("GET", "/v1/teams", 200, "application/json", contains='"items"'),),
    # A page: templates, static URLs, the session machinery.
    "web": (Check("GET", "/login", 200, "text/html", contains="<form"),),
    # Ingestion refuses a batch without an API key with a JSON 401 (nothing is written).
    "ingest": (Check("POST", "/v1/ingest/teams", 401, "application/json"),),
}
"""Route group -> the requests that show it works. Groups without an entry are served by the
same app as a checked group and add no dependency of their own."""


def checks_for(service: Service) -> tuple[Check, ...]:
    """The checks of every route group `service` serves, in the groups' order."""
    return tuple(check for name in service.groups for check in CHECKS_BY_GROUP.get(name, ()))


class ReleaseCheck(Construct):
    """The pre-traffic hook of one service's deployment group: invokes `version` only."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        version: lambda_.IVersion,
        checks: Sequence[Check],
        public_host: str,
        logging: LogSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        if not checks:
            raise ValueError("a release check needs at least one check")
        log_group = logs.LogGroup(
            self, "Logs", retention=logging.retention, removal_policy=logging.removal_policy
        )
        self._function = lambda_.Function(
            self,
            "Function",
            runtime=HOOK_RUNTIME,
            handler="handler.on_hook",
            code=lambda_.Code.from_asset(
                str(HOOK_DIRECTORY), exclude=["__init__.py", "__pycache__"]
            ),
            # Waiting for the version to be ready, then a few invocations with retries.
            timeout=Duration.seconds(WAIT_SECONDS + 300),
            memory_size=256,
            description="Courtside: smoke-tests a new version before CodeDeploy shifts traffic",
            environment={
                "TARGET_VERSION_ARN": version.function_arn,
                "CHECKS": json.dumps([check.to_json() for check in checks]),
                "PUBLIC_HOST": public_host,
            },
            log_group=log_group,
        )
        version.grant_invoke(self._function)
        acknowledge_lambda_managed_policies(self._function, in_vpc=False)

    @property
    def function(self) -> lambda_.Function:
        return self._function
