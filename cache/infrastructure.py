"""ElastiCache for Valkey (Redis-compatible): TLS in transit, encrypted at rest, AUTH token.

Only L1 constructs exist for ElastiCache; this wraps `CfnReplicationGroup` with the secure defaults.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

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
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        node_type: str,
        multi_az: bool,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
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
                    "Rotating an ElastiCache AUTH token needs a ModifyReplicationGroup "
                    "(AuthTokenUpdateStrategy ROTATE, then SET) coordinated with clients; it "
                    "is done by updating this secret and redeploying, not by a rotation Lambda."
                ),
            },
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description="Courtside cache subnets (isolated)",
            subnet_ids=vpc.select_subnets(subnet_group_name=subnets.subnet_group_name).subnet_ids,
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
            auth_token=self._auth_secret.secret_value.unsafe_unwrap(),
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

    def allow_from(self, peer: ec2.IConnectable) -> None:
        """Open the cache port to `peer` (the API function)."""
        self._connections.allow_default_port_from(peer, "API function to cache")

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
