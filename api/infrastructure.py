"""The API as a Lambda container image with an IAM-authenticated Function URL, logs and alarms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge_lambda_managed_policies

API_DIRECTORY = Path(__file__).resolve().parent
API_HANDLER = "courtside.lambda_handler.handler"
MIGRATE_HANDLER = "courtside.migrate.handler"
# Kept out of the image (and out of its hash, so infra edits do not re-run migrations).
IMAGE_EXCLUDES = ("infrastructure.py", "__init__.py", "**/__pycache__", "**/*.pyc")


def architecture_for(name: str) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if name == "arm64" else lambda_.Architecture.X86_64


def image_code(*, architecture: str, cmd: Sequence[str] | None = None) -> lambda_.DockerImageCode:
    """The app image built from ``api/`` for one platform; `cmd` selects another handler."""
    platform = (
        ecr_assets.Platform.LINUX_ARM64
        if architecture == "arm64"
        else ecr_assets.Platform.LINUX_AMD64
    )
    return lambda_.DockerImageCode.from_image_asset(
        str(API_DIRECTORY),
        file="Dockerfile",
        platform=platform,
        cmd=list(cmd) if cmd is not None else None,
        exclude=list(IMAGE_EXCLUDES),
    )


class ApiFunction(Construct):
    """The FastAPI app (Mangum) as a DockerImageFunction in the VPC behind a Function URL.

    The Function URL uses ``AWS_IAM`` auth: only CloudFront, signing with Origin Access Control,
    may call it. Secrets are passed by ARN and read at runtime; the function may read exactly the
    secrets given in `secrets` and nothing else.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.DockerImageCode,
        architecture: lambda_.Architecture,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        environment: Mapping[str, str],
        secrets: Sequence[secretsmanager.ISecret],
        memory_mb: int,
        timeout: Duration,
        reserved_concurrency: int | None,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Courtside API function: egress to the database, cache and endpoints",
            allow_all_outbound=True,
        )
        self._log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy
        )
        self._function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=code,
            architecture=architecture,
            description="Courtside API (FastAPI behind Mangum)",
            memory_size=memory_mb,
            timeout=timeout,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self._security_group],
            environment=dict(environment),
            reserved_concurrent_executions=reserved_concurrency,
            log_group=self._log_group,
        )
        acknowledge_lambda_managed_policies(self._function, in_vpc=True)
        for secret in secrets:
            secret.grant_read(self._function)
        self._url = self._function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.BUFFERED,
        )
        self._alarms = self._create_alarms(timeout)

    def _create_alarms(self, timeout: Duration) -> list[cloudwatch.Alarm]:
        fn = self._function
        period = Duration.minutes(5)
        return [
            fn.metric_errors(period=period, statistic="Sum").create_alarm(
                self,
                "Errors",
                threshold=5,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Courtside API: 5 or more invocation errors in 5 minutes",
            ),
            fn.metric_throttles(period=period, statistic="Sum").create_alarm(
                self,
                "Throttles",
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Courtside API: throttled (reserved concurrency reached)",
            ),
            fn.metric_duration(period=period, statistic="p99").create_alarm(
                self,
                "DurationP99",
                threshold=timeout.to_milliseconds() * 0.8,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="Courtside API: p99 duration above 80% of the timeout",
            ),
        ]

    @property
    def function(self) -> lambda_.DockerImageFunction:
        return self._function

    @property
    def function_url(self) -> lambda_.FunctionUrl:
        return self._url

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        return self._security_group

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return list(self._alarms)
