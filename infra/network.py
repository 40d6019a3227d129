"""The VPC: private subnets only (no NAT, no internet gateway), flow logs, the AWS APIs the
functions call through interface endpoints (Secrets Manager; SES when e-mail is on; X-Ray when
tracing is on)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.functions import Placement
from infra.nag import acknowledge_all

APP_SUBNETS = "app"
DATA_SUBNETS = "data"


class Network(Construct):
    """A VPC with an `app` tier (Lambda) and a `data` tier (RDS, ElastiCache), both isolated.

    Nothing here needs the internet: the AWS APIs called from inside the VPC are Secrets
    Manager (the app's secrets, and the RDS rotation functions) and, with notification e-mail
    on, SES (`add_ses_endpoint`), with tracing on X-Ray's OTLP endpoint (`add_xray_endpoint`),
    each reached through an interface endpoint; CloudWatch Logs
    and metrics are written by the Lambda service, not from the VPC. So there is no NAT gateway
    (~$35 per gateway and month before traffic) and no internet gateway. A future dependency
    that needs the internet must add one deliberately, named.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        max_azs: int,
        flow_log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        internet_egress: bool = False,
    ) -> None:
        """`internet_egress`: the app tier reaches the internet through one NAT gateway (in a
        public subnet of its own); only for sign-in with an identity provider (infra/sso.py),
        whose endpoints no VPC endpoint serves. The data tier stays isolated either way."""
        super().__init__(scope, construct_id)
        isolated = ec2.SubnetType.PRIVATE_ISOLATED
        app_type = ec2.SubnetType.PRIVATE_WITH_EGRESS if internet_egress else isolated
        subnets = [
            ec2.SubnetConfiguration(name=APP_SUBNETS, subnet_type=app_type, cidr_mask=22),
            ec2.SubnetConfiguration(name=DATA_SUBNETS, subnet_type=isolated, cidr_mask=24),
        ]
        if internet_egress:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="egress", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=26
                )
            )
        self._vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=max_azs,
            nat_gateways=1 if internet_egress else 0,
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
        self._secrets_endpoint = self._endpoint(
            "SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER
        )
        self._ses_endpoint: ec2.InterfaceVpcEndpoint | None = None
        self._xray_endpoint: ec2.InterfaceVpcEndpoint | None = None

    def _endpoint(
        self, construct_id: str, service: ec2.InterfaceVpcEndpointAwsService
    ) -> ec2.InterfaceVpcEndpoint:
        endpoint = self._vpc.add_interface_endpoint(
            construct_id,
            service=service,
            subnets=self.app_subnets,
            private_dns_enabled=True,
            open=True,
        )
        acknowledge_all(
            endpoint,
            {
                "AwsSolutions-EC23": "The endpoint's security group allows HTTPS only from the "
                "VPC's own CIDR (a CloudFormation reference the rule cannot evaluate); nothing "
                "outside the VPC can reach an interface endpoint.",
            },
        )
        return endpoint

    def add_ses_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        """The SES API (``com.amazonaws.<region>.email``: what boto3's ``sesv2`` client calls,
        not the SMTP endpoint). A region that does not offer it fails the deploy here: SES would
        then need a NAT gateway, a decision to take deliberately."""
        if self._ses_endpoint is None:
            self._ses_endpoint = self._endpoint("Ses", ec2.InterfaceVpcEndpointAwsService.EMAIL)
        return self._ses_endpoint

    def add_xray_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        """X-Ray (``com.amazonaws.<region>.xray``): with private DNS, the functions' spans for
        ``https://xray.<region>.amazonaws.com/v1/traces`` (its OTLP endpoint) go through it."""
        if self._xray_endpoint is None:
            self._xray_endpoint = self._endpoint("XRay", ec2.InterfaceVpcEndpointAwsService.XRAY)
        return self._xray_endpoint

    @property
    def vpc(self) -> ec2.IVpc:
        return self._vpc

    @property
    def app_placement(self) -> Placement:
        """Where the functions run."""
        return Placement(vpc=self._vpc, subnets=self.app_subnets)

    @property
    def data_placement(self) -> Placement:
        """Where the database and the cache live: no route to or from the internet."""
        return Placement(vpc=self._vpc, subnets=self.data_subnets)

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

    @property
    def ses_endpoint(self) -> ec2.InterfaceVpcEndpoint | None:
        return self._ses_endpoint

    @property
    def xray_endpoint(self) -> ec2.InterfaceVpcEndpoint | None:
        return self._xray_endpoint
