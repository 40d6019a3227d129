"""Aurora PostgreSQL Serverless v2: a writer and `readers` reader instances, one cluster.

The same contract as `database.infrastructure.Database` (the owner's secret, one secret per
login role attached to the cluster, rotation held until the first migration, alarms, log and
backup retention, cdk-nag's findings answered), so the stack and the migrator do not care which
engine an environment runs (`db_engine` in cdk.json). What differs:

* capacity is a range of ACUs (`db_min_acu`..`db_max_acu`, 2 GiB each) per instance; 0 as the
  floor lets an idle instance pause (dev: the first request after a pause waits ~15 s for it
  to resume, then answers; the app's connect timeout answers 503 meanwhile);
* readers scale with the writer (`scale_with_writer`: promotion tier 1, so a failover lands on
  a reader sized like the writer) and are reached through the cluster's reader endpoint, which
  the public-read functions get as `DATABASE_READ_HOST` (`courtside.read_replica`);
* `max_connections` follows the ACU ceiling (`infra.connection_budget`);
* a failover moves the writer endpoint: the app answers 503 with Retry-After meanwhile and
  reconnects on its own (`courtside.db`: a read-only writer drops the pool).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct

from database.infrastructure import (
    APP_ROLE,
    DATABASE_NAME,
    LOG_EXPORTS,
    MASTER_USERNAME,
    PORT,
    construct_name,
)
from infra.connection_budget import max_connections_for_acu
from infra.functions import Placement
from infra.nag import acknowledge_all

AURORA_VERSION = rds.AuroraPostgresEngineVersion.VER_17_4
"""Aurora takes full versions only (no bare major as RDS does); minor upgrades are applied in
the maintenance window (`auto_minor_version_upgrade`, the default)."""
AURORA_LOG_EXPORTS = tuple(name for name in LOG_EXPORTS if name == "postgresql")
"""Aurora PostgreSQL publishes only the server log (no upgrade log)."""
REPLICA_LAG_ALARM_MS = 30_000


class AuroraDatabase(Construct):
    """An encrypted Aurora PostgreSQL Serverless v2 cluster in isolated subnets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        placement: Placement,
        rotation_subnets: ec2.SubnetSelection,
        readers: int,
        min_acu: float,
        max_acu: float,
        backup_retention: Duration,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        rotation_days: int,
        log_retention: logs.RetentionDays,
        performance_insights: bool = False,
        monitoring_interval: Duration | None = None,
        login_roles: Sequence[str] = (APP_ROLE,),
        database_name: str = DATABASE_NAME,
    ) -> None:
        super().__init__(scope, construct_id)
        self._database_name = database_name
        self._readers = readers
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=placement.vpc,
            description="Courtside PostgreSQL: ingress only from the API and migration functions",
            allow_all_outbound=False,
        )
        self._cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=AURORA_VERSION),
            writer=rds.ClusterInstance.serverless_v2(
                "Writer",
                publicly_accessible=False,
                enable_performance_insights=performance_insights or None,
            ),
            readers=[
                rds.ClusterInstance.serverless_v2(
                    f"Reader{n}",
                    scale_with_writer=True,
                    publicly_accessible=False,
                    enable_performance_insights=performance_insights or None,
                )
                for n in range(1, readers + 1)
            ],
            serverless_v2_min_capacity=min_acu,
            serverless_v2_max_capacity=max_acu,
            vpc=placement.vpc,
            vpc_subnets=placement.subnets,
            security_groups=[self._security_group],
            credentials=rds.Credentials.from_generated_secret(MASTER_USERNAME),
            default_database_name=database_name,
            storage_encrypted=True,
            backup=rds.BackupProps(retention=backup_retention),
            copy_tags_to_snapshot=True,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            cloudwatch_logs_exports=list(AURORA_LOG_EXPORTS),
            cloudwatch_logs_retention=log_retention,
            monitoring_interval=monitoring_interval,
            port=PORT,
        )
        master = self._cluster.secret
        assert master is not None  # from_generated_secret always creates one
        self._master_secret: secretsmanager.ISecret = master
        role_secrets = {
            role: rds.DatabaseSecret(
                self,
                f"{construct_name(role)}Secret",
                username=role,
                dbname=database_name,
                master_secret=master,
            )
            for role in login_roles
        }
        self._role_secrets: dict[str, secretsmanager.ISecret] = {
            role: secret.attach(self._cluster) for role, secret in role_secrets.items()
        }
        if removal_policy != RemovalPolicy.DESTROY:
            owner_secret = self._cluster.node.find_child("Secret")
            assert isinstance(owner_secret, secretsmanager.Secret)
            for secret in (owner_secret, *role_secrets.values()):
                secret.apply_removal_policy(RemovalPolicy.RETAIN)
        self._rotations: list[IConstruct] = []
        self._rotate(rotation_days, rotation_subnets)
        self._alarms = self._create_alarms(max_acu)
        self._acknowledge(deletion_protection=deletion_protection)

    def _rotate(self, rotation_days: int, subnets: ec2.SubnetSelection) -> None:
        if rotation_days == 0:
            reason = (
                "Rotation is off for this environment by config (db_rotation_days=0): a "
                "short-lived development database whose secrets never leave the account."
            )
            acknowledge_all(self._cluster.node.find_child("Secret"), {"AwsSolutions-SMG4": reason})
            for role in self._role_secrets:
                secret = self.node.find_child(f"{construct_name(role)}Secret")
                acknowledge_all(secret, {"AwsSolutions-SMG4": reason})
            return
        every = Duration.days(rotation_days)
        self._cluster.add_rotation_single_user(automatically_after=every, vpc_subnets=subnets)
        for role, secret in self._role_secrets.items():
            self._cluster.add_rotation_multi_user(
                f"{construct_name(role)}Rotation",
                secret=secret,
                automatically_after=every,
                vpc_subnets=subnets,
            )
        self._rotations = [
            c for c in self.node.find_all() if isinstance(c, secretsmanager.CfnRotationSchedule)
        ]

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/RDS",
            metric_name=name,
            dimensions_map={"DBClusterIdentifier": self._cluster.cluster_identifier},
            statistic=statistic,
            period=Duration.minutes(5),
        )

    def _create_alarms(self, max_acu: float) -> list[cloudwatch.Alarm]:
        max_connections = max_connections_for_acu(max_acu)
        alarms = [
            self._metric("CPUUtilization", "Maximum").create_alarm(
                self,
                "CpuHigh",
                threshold=80,
                evaluation_periods=3,
                alarm_description="Aurora CPU above 80% for 15 minutes",
            ),
            self._metric("ACUUtilization", "Maximum").create_alarm(
                self,
                "CapacityHigh",
                threshold=90,
                evaluation_periods=3,
                alarm_description=f"Aurora above 90% of its ACU ceiling ({max_acu:g} ACU) for "
                "15 minutes: raise db_max_acu",
            ),
            self._metric("DatabaseConnections", "Maximum").create_alarm(
                self,
                "ConnectionsHigh",
                threshold=int(max_connections * 0.8),
                evaluation_periods=2,
                alarm_description=f"Aurora connections above 80% of max_connections "
                f"(~{max_connections} at {max_acu:g} ACU) for 10 minutes",
            ),
        ]
        if self._readers:
            alarms.append(
                self._metric("AuroraReplicaLagMaximum", "Maximum").create_alarm(
                    self,
                    "ReplicaLagHigh",
                    threshold=REPLICA_LAG_ALARM_MS,
                    evaluation_periods=2,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    alarm_description="An Aurora reader more than 30 s behind the writer for "
                    "10 minutes: public misses read the writer meanwhile (read_replica)",
                )
            )
        return alarms

    def _acknowledge(self, *, deletion_protection: bool) -> None:
        reasons = {
            "AwsSolutions-RDS11": "PostgreSQL keeps its default port 5432: the cluster is in "
            "isolated subnets behind a security group open only to our functions (and the "
            "rotation functions); a non-default port hides nothing from them.",
            "AwsSolutions-RDS6": "The app logs in with passwords from Secrets Manager, rotated "
            "(multi-user) by config; IAM authentication would add a token fetch to every "
            "connection of every Lambda environment for no gain in this design.",
        }
        if not deletion_protection:
            reasons["AwsSolutions-RDS10"] = (
                "Deletion protection is off only in the disposable dev environment "
                "(db_deletion_protection=false) so the stack can be torn down."
            )
        acknowledge_all(self._cluster, reasons)
        monitoring_role = self._cluster.node.try_find_child("MonitoringRole")
        if monitoring_role is not None:
            acknowledge_all(
                monitoring_role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole]": "RDS's own policy for Enhanced "
                    "Monitoring: it may only write the RDSOSMetrics log group.",
                },
            )

    def allow_from(self, peer: ec2.IConnectable, description: str) -> None:
        """Let `peer` (a function) reach PostgreSQL (the writer and the readers)."""
        self._cluster.connections.allow_default_port_from(peer, description)

    def hold_rotation_until(self, construct: IConstruct) -> None:
        for schedule in self._rotations:
            schedule.node.add_dependency(construct)

    @property
    def resources(self) -> Sequence[IConstruct]:
        """What the first migration waits for: the cluster and its instances (not the whole
        construct: the rotation schedules under it wait for the migration)."""
        return [
            c
            for c in self._cluster.node.find_all()
            if isinstance(c, rds.CfnDBCluster | rds.CfnDBInstance)
        ]

    def dashboard_metrics(self) -> dict[str, list[cloudwatch.IMetric]]:
        return {
            "PostgreSQL CPU (%)": [self._metric("CPUUtilization", "Average")],
            "PostgreSQL connections": [self._metric("DatabaseConnections", "Maximum")],
            "Aurora capacity (ACU) and replica lag (ms)": [
                self._metric("ServerlessDatabaseCapacity", "Maximum"),
                self._metric("AuroraReplicaLagMaximum", "Maximum"),
            ],
        }

    @property
    def cluster(self) -> rds.DatabaseCluster:
        return self._cluster

    @property
    def master_secret(self) -> secretsmanager.ISecret:
        return self._master_secret

    def role_secret(self, role: str) -> secretsmanager.ISecret:
        return self._role_secrets[role]

    @property
    def role_secrets(self) -> Mapping[str, secretsmanager.ISecret]:
        return dict(self._role_secrets)

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        return self._security_group

    @property
    def database_name(self) -> str:
        return self._database_name

    @property
    def port(self) -> int:
        return PORT

    @property
    def endpoint_address(self) -> str:
        return self._cluster.cluster_endpoint.hostname

    @property
    def reader_address(self) -> str | None:
        """The reader endpoint (None without readers: public reads stay on the writer)."""
        return self._cluster.cluster_read_endpoint.hostname if self._readers else None

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return list(self._alarms)
