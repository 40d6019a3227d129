"""The one way this project puts a container-image function in the VPC.

Every image function (the API service, the migrator) needs the same pieces: its own security
group, a log group with the environment's retention, the VPC placement, read access to exactly
the secrets it is given, and the two acknowledged AWS-managed execution policies. They are here,
once; the constructs in ``api/`` and ``database/`` add what is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge_lambda_managed_policies


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where a function runs: the VPC and its subnets."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection


@dataclass(frozen=True, kw_only=True)
class LogSettings:
    """How long a log group keeps events, and whether it outlives its stack."""

    retention: logs.RetentionDays
    removal_policy: RemovalPolicy


class VpcImageFunction(Construct):
    """A `DockerImageFunction` in private subnets with its own security group and log group.

    The function may read the secrets in `secrets` and nothing else; outbound traffic is open
    (the subnets have no route out of the VPC: only the endpoints, the database and the cache are
    reachable), inbound is closed (nothing calls a function over the network).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.DockerImageCode,
        architecture: lambda_.Architecture,
        description: str,
        placement: Placement,
        memory_mb: int,
        timeout: Duration,
        environment: Mapping[str, str],
        secrets: Sequence[secretsmanager.ISecret],
        logging: LogSettings,
        reserved_concurrency: int | None = None,
        security_group_description: str | None = None,
        retain_versions: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        security_group_description = security_group_description or description
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=placement.vpc,
            description=f"{security_group_description}: egress inside the VPC only (no NAT)",
            allow_all_outbound=True,
        )
        self._log_group = logs.LogGroup(
            self, "Logs", retention=logging.retention, removal_policy=logging.removal_policy
        )
        self._function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=code,
            architecture=architecture,
            description=description,
            memory_size=memory_mb,
            timeout=timeout,
            vpc=placement.vpc,
            vpc_subnets=placement.subnets,
            security_groups=[self._security_group],
            environment=dict(environment),
            reserved_concurrent_executions=reserved_concurrency,
            log_group=self._log_group,
            current_version_options=(
                lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN)
                if retain_versions
                else None
            ),
        )
        acknowledge_lambda_managed_policies(self._function, in_vpc=True)
        for secret in secrets:
            secret.grant_read(self._function)

    @property
    def function(self) -> lambda_.DockerImageFunction:
        return self._function

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        return self._security_group

    @property
    def log_group(self) -> logs.ILogGroup:
        return self._log_group
