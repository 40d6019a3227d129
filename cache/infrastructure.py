"""ElastiCache for Valkey (Redis-compatible): TLS in transit, encrypted at rest, AUTH token, alarms.

Only L1 constructs exist for ElastiCache; this wraps `CfnReplicationGroup` with the secure defaults.

Rotating the AUTH token is a template change, so CloudFormation really applies it: the token is
referenced by its Secrets Manager **version id** (`auth_token_version`; none = the first one).
CloudFormation modifies the group with the new token without an update strategy, which
ElastiCache treats as ``ROTATE``: the old and the new token are both accepted, so the running app
keeps working while the secret's ``AWSCURRENT`` moves to the new version (docs/deploy.md, "Rotate
the cache AUTH token"). A plain dynamic reference to ``AWSCURRENT`` would not change the template
when the secret changes, and ElastiCache would keep the old token while the app read the new one.
"""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy, SecretValue
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.functions import Placement
from infra.nag import acknowledge_all

# A non-default port (cdk-nag AEC5); the app reads REDIS_PORT.
CACHE_PORT = 6380
ENGINE = "valkey"
ENGINE_VERSION = "8.0"


class Cache(Construct):
    """A Valkey replication group in isolated subnets, reachable only from granted peers.

    The AUTH token is generated into Secrets Manager as a plain string (the app reads
    ``REDIS_AUTH_SECRET_ARN``) and handed to ElastiCache as a CloudFormation dynamic reference, so
    it never appears in the template. With ``multi_az`` there is one replica in a second AZ and
    automatic failover.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        placement: Placement,
        node_type: str,
        multi_az: bool,
        removal_policy: RemovalPolicy,
        auth_token_version: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=placement.vpc,
            description="Courtside cache: ingress only from the API function",
            allow_all_outbound=False,
        )
        self._connections = ec2.Connections(
            security_groups=[self._security_group],
            default_port=ec2.Port.tcp(CACHE_PORT),
        )
        self._auth_secret = secretsmanager.Secret(
            self,
            "AuthToken",
            description="Courtside cache AUTH token (plain string)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64,
                # ElastiCache allows only printable ASCII without @, " and /.
                exclude_punctuation=True,
            ),
        )
        acknowledge_all(
            self._auth_secret,
            {
                "AwsSolutions-SMG4": (
                    "Rotated by the documented procedure, not a rotation Lambda: a new version "
                    "is put under AWSPENDING, cache_auth_token_version pins it in the template so "
                    "CloudFormation rotates it into ElastiCache (old and new token both valid), "
                    "then it becomes AWSCURRENT for the app. A rotation Lambda would move "
                    "AWSCURRENT before ElastiCache accepts the new token."
                ),
            },
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description="Courtside cache subnets (isolated)",
            subnet_ids=placement.vpc.select_subnets(
                subnet_group_name=placement.subnets.subnet_group_name
            ).subnet_ids,
        )
        self._group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_description="Courtside cache, rate limits and token revocation",
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            cache_node_type=node_type,
            num_cache_clusters=2 if multi_az else 1,
            automatic_failover_enabled=multi_az,
            multi_az_enabled=multi_az,
            port=CACHE_PORT,
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self._security_group.security_group_id],
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            auth_token=SecretValue.secrets_manager(
                self._auth_secret.secret_arn, version_id=auth_token_version
            ).unsafe_unwrap(),
            auto_minor_version_upgrade=True,
            snapshot_retention_limit=1 if multi_az else 0,
        )
        self._group.apply_removal_policy(removal_policy)
        if not multi_az:
            acknowledge_all(
                self._group,
                {
                    "AwsSolutions-AEC4": (
                        "Single node by config outside production (cache_multi_az=false): the "
                        "cache holds only rebuildable data, rate-limit counters and revocations "
                        "that expire with the tokens; production runs Multi-AZ with a replica."
                    ),
                },
            )

        self._nodes = 2 if multi_az else 1
        self._alarms = self._create_alarms()

    def node_metric(self, metric_name: str, node: int, *, statistic: str) -> cloudwatch.Metric:
        """A host metric of one node (``<group>-001``, ``-002``: the primary may be either)."""
        return cloudwatch.Metric(
            namespace="AWS/ElastiCache",
            metric_name=metric_name,
            dimensions_map={"CacheClusterId": Fn.join("-", [self._group.ref, f"{node:03d}"])},
            statistic=statistic,
            period=Duration.minutes(5),
        )

    def _create_alarms(self) -> list[cloudwatch.Alarm]:
        alarms = []
        for node in range(1, self._nodes + 1):
            alarms += [
                self.node_metric("EngineCPUUtilization", node, statistic="Average").create_alarm(
                    self,
                    f"CpuHigh{node}",
                    threshold=80,
                    evaluation_periods=3,
                    alarm_description=f"Cache node {node}: engine CPU above 80% for 15 minutes",
                ),
                self.node_metric(
                    "DatabaseMemoryUsagePercentage", node, statistic="Maximum"
                ).create_alarm(
                    self,
                    f"MemoryHigh{node}",
                    threshold=85,
                    evaluation_periods=3,
                    alarm_description=f"Cache node {node}: memory above 85% of maxmemory",
                ),
                self.node_metric("Evictions", node, statistic="Sum").create_alarm(
                    self,
                    f"Evictions{node}",
                    threshold=100,
                    evaluation_periods=2,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description=f"Cache node {node}: keys evicted for lack of memory "
                    "(rate limits and revocations may be lost)",
                ),
            ]
        return alarms

    def allow_from(
        self, peer: ec2.IConnectable, description: str = "API function to cache"
    ) -> None:
        """Open the cache port to `peer` (a function of the app)."""
        self._connections.allow_default_port_from(peer, description)

    @property
    def host(self) -> str:
        return self._group.attr_primary_end_point_address

    @property
    def port(self) -> int:
        return CACHE_PORT

    @property
    def auth_secret(self) -> secretsmanager.ISecret:
        return self._auth_secret

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        return self._security_group

    @property
    def replication_group(self) -> elasticache.CfnReplicationGroup:
        return self._group

    @property
    def node_count(self) -> int:
        return self._nodes

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return list(self._alarms)
