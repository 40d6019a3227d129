"""The app as Lambda services: a container image behind an alias, a canary release and alarms.

`ServiceFunction` is one function of the app — the whole app (``all-in-one``), or one service of
`courtside.services_registry` (``split``: ``public``, ``web``, ``ingest``, one instance each) —
the image with a command, behind the alias ``live`` that a Function URL (``AWS_IAM``: only
CloudFront may call it) points at. Every new image version reaches the alias through CodeDeploy —
a canary in staging and prod — and is rolled back automatically when that function's 5xx or
error alarm fires. Before the first request moves, a pre-traffic hook (`infra.release_checks`)
smoke-tests the new version directly and fails the release when it does not answer as it must.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from aws_cdk import Duration, FileSystem, IgnoreMode
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.functions import LogSettings, Placement, VpcImageFunction
from infra.nag import acknowledge_all, logical_id
from infra.release_check.handler import Check
from infra.release_checks import ReleaseCheck

API_DIRECTORY = Path(__file__).resolve().parent
API_HANDLER = "courtside.lambda_handler.handler"
MIGRATE_HANDLER = "courtside.migrate.handler"
ALIAS_NAME = "live"
# Kept out of the image (and out of its hash, so infra edits do not re-run migrations).
IMAGE_EXCLUDES = ("infrastructure.py", "__init__.py", "**/__pycache__", "**/*.pyc")
REQUEST_LOGGER = "courtside.request"
"""The app logs one JSON line per request from this logger, with ``latency_ms``."""

ArchitectureName = Literal["arm64", "x86_64"]


def architecture_for(name: ArchitectureName) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if name == "arm64" else lambda_.Architecture.X86_64


TRACING_BUILD_ARG = "WITH_OTEL"
"""The Dockerfile's switch for the OpenTelemetry packages (api/requirements-otel.lock)."""


def source_release(directory: Path) -> str:
    """A short fingerprint of the image's source in `directory` (``api/``), without what the
    image leaves out (``IMAGE_EXCLUDES``: an infra edit) or compiles at build time. The
    patterns read as the image asset reads them (Docker's: ``__init__.py`` is the top
    level's only; in glob mode it would drop every package's)."""
    return FileSystem.fingerprint(
        str(directory),
        exclude=[*IMAGE_EXCLUDES, "**/templates_compiled"],
        ignore_mode=IgnoreMode.DOCKER,
    )[:16]


@cache
def app_release() -> str:
    """The app image's release: the functions file their cache entries under it
    (``CACHE_RELEASE``), so that while a canary runs two releases on one Redis neither reads
    an entry the other encoded."""
    return source_release(API_DIRECTORY)


def app_image(
    *,
    architecture: ArchitectureName,
    command: Sequence[str] | None = None,
    with_tracing: bool = False,
) -> lambda_.DockerImageCode:
    """The app image built from ``api/`` for one platform; `command` selects another handler;
    `with_tracing` builds it with the OpenTelemetry packages (``WITH_OTEL=true``), which a
    function with ``OTEL_ENABLED=true`` needs to start. Without it no build argument is passed
    (the Dockerfile's default, false), so the asset is the one it always was."""
    platform = (
        ecr_assets.Platform.LINUX_ARM64
        if architecture == "arm64"
        else ecr_assets.Platform.LINUX_AMD64
    )
    return lambda_.DockerImageCode.from_image_asset(
        str(API_DIRECTORY),
        file="Dockerfile",
        platform=platform,
        cmd=list(command) if command is not None else None,
        exclude=list(IMAGE_EXCLUDES),
        build_args={TRACING_BUILD_ARG: "true"} if with_tracing else None,
    )


@dataclass(frozen=True, kw_only=True)
class ServiceAlarms:
    """When a service pages. Thresholds are per period; every alarm ignores missing data."""

    url_5xx_per_minute: int = 5
    """Function URL 5xx in one minute: what users see (the app turns failures into 5xx).
    Also the canary's rollback alarm."""
    errors_per_minute: int = 5
    """Invocations that crashed (unhandled by the app) in one minute; also rolls back."""
    duration_fraction_of_timeout: float = 0.8
    """p99 duration above this share of the timeout for three 5-minute periods."""
    concurrency_fraction_of_reserved: float = 0.8
    """Peak concurrency above this share of the reserved concurrency (when there is one)."""


class ServiceFunction(Construct):
    """One service of the app: an image function in the VPC, its alias, URL, release and alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        code: lambda_.DockerImageCode,
        architecture: lambda_.Architecture,
        placement: Placement,
        environment: Mapping[str, str],
        secrets: Sequence[secretsmanager.ISecret],
        memory_mb: int,
        timeout: Duration,
        reserved_concurrency: int | None,
        logging: LogSettings,
        deployment: codedeploy.ILambdaDeploymentConfig,
        metrics_namespace: str,
        release_checks: Sequence[Check],
        public_host: str,
        alarms: ServiceAlarms | None = None,
        ignore_alarms: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = alarms or ServiceAlarms()
        self._service_name = service_name
        self._vpc_function = VpcImageFunction(
            self,
            "Function",
            code=code,
            architecture=architecture,
            description=f"Courtside {service_name} (FastAPI behind Mangum)",
            placement=placement,
            memory_mb=memory_mb,
            timeout=timeout,
            environment=environment,
            secrets=secrets,
            logging=logging,
            reserved_concurrency=reserved_concurrency,
            security_group_description=f"Courtside {service_name} function",
            # Old versions stay: an emergency rollback points the alias back at one.
            retain_versions=True,
        )
        function = self._vpc_function.function
        self._alias = lambda_.Alias(
            self, "Live", alias_name=ALIAS_NAME, version=function.current_version
        )
        self._url = self._alias.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.BUFFERED,
        )
        self._latency = logs.MetricFilter(
            self,
            "LatencyMetric",
            log_group=self._vpc_function.log_group,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.logger", "=", REQUEST_LOGGER),
                logs.FilterPattern.exists("$.latency_ms"),
            ),
            metric_namespace=metrics_namespace,
            metric_name=f"{service_name}RequestLatency",
            metric_value="$.latency_ms",
            unit=cloudwatch.Unit.MILLISECONDS,
        )
        self._alarms = self._create_alarms(settings, timeout, reserved_concurrency)
        self._release_check = ReleaseCheck(
            self,
            "ReleaseCheck",
            version=function.current_version,
            checks=release_checks,
            public_host=public_host,
            logging=logging,
        )
        self._deployment = codedeploy.LambdaDeploymentGroup(
            self,
            "Deployment",
            alias=self._alias,
            deployment_config=deployment,
            alarms=[self.url_5xx_alarm, self._alarms["Errors"]],
            pre_hook=self._release_check.function,
            # A hotfix (``-c hotfix=true``) must go out while these alarms are still in ALARM
            # (the incident it fixes): CodeDeploy then skips polling them (AlarmConfiguration
            # Enabled false); the alarms stay attached and the next normal deploy re-arms them.
            ignore_alarm_configuration=ignore_alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        # The alias's shift (its UpdatePolicy) reads the deployment group as it is after this
        # deploy: a hotfix's "alarms ignored" must be in place before the new version ships.
        self._alias.node.add_dependency(self._deployment, self._release_check)
        hook = logical_id(self._release_check.function)
        acknowledge_all(
            self._deployment,
            {
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSCodeDeployRoleForLambdaLimited]": "CodeDeploy's own service policy for "
                "Lambda: it may only shift this account's aliases, read the deployment alarms "
                "and publish deployment SNS notifications; no narrower policy exists for it.",
                f"AwsSolutions-IAM5[Resource::<{hook}.Arn>:*]": "CDK's grant for a deployment "
                "group's pre-traffic hook: CodeDeploy may invoke this one release-check "
                "function (any of its versions), and nothing else.",
            },
        )

    def _create_alarms(
        self, settings: ServiceAlarms, timeout: Duration, reserved_concurrency: int | None
    ) -> dict[str, cloudwatch.Alarm]:
        fn = self._vpc_function.function
        minute, five = Duration.minutes(1), Duration.minutes(5)
        name = f"Courtside {self._service_name}"
        quiet = cloudwatch.TreatMissingData.NOT_BREACHING
        alarms = {
            "Url5xx": self.url_5xx_metric(period=minute).create_alarm(
                self,
                "Url5xx",
                threshold=settings.url_5xx_per_minute,
                evaluation_periods=1,
                treat_missing_data=quiet,
                alarm_description=f"{name}: {settings.url_5xx_per_minute} or more 5xx responses "
                "from the Function URL in a minute (also rolls a canary back)",
            ),
            "Errors": fn.metric_errors(period=minute, statistic="Sum").create_alarm(
                self,
                "Errors",
                threshold=settings.errors_per_minute,
                evaluation_periods=1,
                treat_missing_data=quiet,
                alarm_description=f"{name}: invocations that crashed in the last minute",
            ),
            "Throttles": fn.metric_throttles(period=five, statistic="Sum").create_alarm(
                self,
                "Throttles",
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=quiet,
                alarm_description=f"{name}: throttled (reserved concurrency reached)",
            ),
            "DurationP99": fn.metric_duration(period=five, statistic="p99").create_alarm(
                self,
                "DurationP99",
                threshold=timeout.to_milliseconds() * settings.duration_fraction_of_timeout,
                evaluation_periods=3,
                treat_missing_data=quiet,
                alarm_description=f"{name}: p99 duration above "
                f"{settings.duration_fraction_of_timeout:.0%} of the timeout for 15 minutes",
            ),
        }
        if reserved_concurrency is not None:
            alarms["Concurrency"] = self.concurrency_metric(period=minute).create_alarm(
                self,
                "Concurrency",
                threshold=max(
                    1, int(reserved_concurrency * settings.concurrency_fraction_of_reserved)
                ),
                evaluation_periods=3,
                treat_missing_data=quiet,
                alarm_description=f"{name}: concurrency above "
                f"{settings.concurrency_fraction_of_reserved:.0%} of its reserved "
                f"{reserved_concurrency} for 3 minutes",
            )
        return alarms

    def allow_cloudfront(self, distribution_arn: str) -> None:
        """Let one CloudFront distribution (OAC-signed) call the alias's Function URL.

        Resource policies are per qualifier: the alias, not the unqualified function, must admit
        CloudFront. Function URLs need both actions since Oct 2025 (aws/aws-cdk#35872).
        """
        principal = iam.ServicePrincipal("cloudfront.amazonaws.com")
        self._alias.add_permission(
            "CloudFrontInvokeFunctionUrl",
            principal=principal,
            action="lambda:InvokeFunctionUrl",
            function_url_auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            source_arn=distribution_arn,
        )
        self._alias.add_permission(
            "CloudFrontInvokeFunction",
            principal=principal,
            action="lambda:InvokeFunction",
            invoked_via_function_url=True,
            source_arn=distribution_arn,
        )

    def url_5xx_metric(self, *, period: Duration = Duration.minutes(5)) -> cloudwatch.Metric:
        """5xx responses of the Function URL on the alias (both versions during a canary)."""
        return self._alias.metric("Url5xxCount", statistic="Sum", period=period)

    def url_4xx_metric(self, *, period: Duration = Duration.minutes(5)) -> cloudwatch.Metric:
        return self._alias.metric("Url4xxCount", statistic="Sum", period=period)

    def concurrency_metric(self, *, period: Duration = Duration.minutes(5)) -> cloudwatch.Metric:
        return self._vpc_function.function.metric(
            "ConcurrentExecutions", statistic="Maximum", period=period
        )

    def latency_metric(self, *, statistic: str) -> cloudwatch.Metric:
        """The app's own request latency (from its request log lines), in milliseconds."""
        return self._latency.metric(statistic=statistic, period=Duration.minutes(5))

    @property
    def service_name(self) -> str:
        return self._service_name

    @property
    def function(self) -> lambda_.DockerImageFunction:
        return self._vpc_function.function

    @property
    def alias(self) -> lambda_.Alias:
        return self._alias

    @property
    def function_url(self) -> lambda_.FunctionUrl:
        return self._url

    @property
    def connections(self) -> ec2.Connections:
        return self._vpc_function.function.connections

    @property
    def url_5xx_alarm(self) -> cloudwatch.Alarm:
        return self._alarms["Url5xx"]

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return list(self._alarms.values())

    @property
    def deployment_group(self) -> codedeploy.LambdaDeploymentGroup:
        return self._deployment

    @property
    def release_check(self) -> lambda_.Function:
        return self._release_check.function
