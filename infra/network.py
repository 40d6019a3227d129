"""The VPC: two AZs, no public-facing workloads, flow logs, and a NAT-free option for dev."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge_all

APP_SUBNETS = "app"
DATA_SUBNETS = "data"


class Network(Construct):
    """A VPC with an `app` tier (Lambda) and an isolated `data` tier (RDS, ElastiCache).

    With ``nat_gateways=0`` the app tier is isolated too: the functions then reach AWS APIs only
    through interface endpoints. They call Secrets Manager (the database, Redis and JWT secrets);
    CloudWatch Logs is written by the Lambda service, not from inside the VPC, so it needs none.
    The Secrets Manager endpoint is created in every environment: it keeps secret reads off the
    NAT (cheaper, no dependency on the internet path) and serves the RDS rotation function.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        max_azs: int,
        nat_gateways: int,
        flow_log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        app_tier = (
            ec2.SubnetType.PRIVATE_WITH_EGRESS
            if nat_gateways > 0
            else ec2.SubnetType.PRIVATE_ISOLATED
        )
        subnets = [
            ec2.SubnetConfiguration(name=APP_SUBNETS, subnet_type=app_tier, cidr_mask=22),
            ec2.SubnetConfiguration(
                name=DATA_SUBNETS, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ]
        if nat_gateways > 0:
            # Public subnets only host the NAT gateways; nothing else is placed there.
            subnets.insert(
                0,
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
            )
        self._vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=max_azs,
            nat_gateways=nat_gateways,
            subnet_configuration=subnets,
            restrict_default_security_group=True,
        )
        self._flow_log_group = logs.LogGroup(
            self, "FlowLogs", retention=flow_log_retention, removal_policy=removal_policy
        )
        self._vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self._flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self._secrets_endpoint = self._vpc.add_interface_endpoint(
            "SecretsManager",
            service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            subnets=self.app_subnets,
            private_dns_enabled=True,
            open=True,
        )

        acknowledge_all(
            self._secrets_endpoint,
            {
                "AwsSolutions-EC23": "The endpoint's security group allows HTTPS only from the "
                "VPC's own CIDR (a CloudFormation reference the rule cannot evaluate); nothing "
                "outside the VPC can reach an interface endpoint.",
            },
        )

    @property
    def vpc(self) -> ec2.IVpc:
        return self._vpc

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        """Where the functions run."""
        return ec2.SubnetSelection(subnet_group_name=APP_SUBNETS)

    @property
    def data_subnets(self) -> ec2.SubnetSelection:
        """Where the database and the cache live: no route to or from the internet."""
        return ec2.SubnetSelection(subnet_group_name=DATA_SUBNETS)

    @property
    def secrets_manager_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        return self._secrets_endpoint
