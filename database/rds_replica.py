"""An RDS PostgreSQL read replica of the environment's instance (`db_engine: rds`, `db_readers: N`).

Same class, subnets, security group, encryption, CA and log exports as its source; RDS streams
the source's WAL to it. It holds nothing the source does not (no backups of its own, removed
with the stack), and is reached at its own endpoint, which the public-read functions get as
`DATABASE_READ_HOST` (`courtside.read_replica`: a miss reads it only once it has replayed past
the last invalidation). An instance has no reader endpoint to spread connections over several
replicas: with `db_readers: N` the functions get all N hosts, separated by commas, and each
process reads one, picked at random. (Aurora's reader endpoint is a DNS name resolved to one of
its readers per connection, not per process.)
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from infra.functions import Placement
from infra.nag import acknowledge_all

REPLICA_LAG_ALARM_SECONDS = 30


class RdsReadReplica(Construct):
    """One read replica of `source`, with its lag alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: rds.DatabaseInstance,
        instance_type: ec2.InstanceType,
        placement: Placement,
        security_group: ec2.ISecurityGroup,
        log_exports: list[str],
        log_retention: logs.RetentionDays,
        performance_insights: bool,
        monitoring_interval: Duration | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._instance = rds.DatabaseInstanceReadReplica(
            self,
            "Instance",
            source_database_instance=source,
            instance_type=instance_type,
            vpc=placement.vpc,
            vpc_subnets=placement.subnets,
            security_groups=[security_group],
            publicly_accessible=False,
            # Encrypted as its source is (RDS refuses the property on a replica: cfn-lint E3020).
            auto_minor_version_upgrade=True,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
            cloudwatch_logs_exports=log_exports,
            cloudwatch_logs_retention=log_retention,
            enable_performance_insights=performance_insights,
            performance_insight_retention=(
                rds.PerformanceInsightRetention.DEFAULT if performance_insights else None
            ),
            monitoring_interval=monitoring_interval,
            deletion_protection=False,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self._alarm = self._instance.metric(
            "ReplicaLag", statistic="Maximum", period=Duration.minutes(5)
        ).create_alarm(
            self,
            "ReplicaLagHigh",
            threshold=REPLICA_LAG_ALARM_SECONDS,
            evaluation_periods=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="The read replica more than 30 s behind its source for 10 "
            "minutes: public misses read the writer meanwhile (read_replica)",
        )
        acknowledge_all(
            self._instance,
            {
                "AwsSolutions-RDS2": "A read replica is encrypted with its source's key; RDS "
                "refuses StorageEncrypted on a replica (the source sets it).",
                "AwsSolutions-RDS3": "A read replica serves public cache misses only; when it "
                "is down they read the writer (courtside.read_replica): one AZ is enough.",
                "AwsSolutions-RDS10": "A replica holds nothing its source does not: it is "
                "removed with the stack, the source keeps its deletion protection.",
                "AwsSolutions-RDS11": "PostgreSQL keeps its default port 5432: the replica is "
                "in isolated subnets behind the database's security group.",
                "AwsSolutions-RDS13": "RDS PostgreSQL read replicas take no automated backups; "
                "the source's backups cover the data.",
            },
        )
        monitoring_role = self._instance.node.try_find_child("MonitoringRole")
        if monitoring_role is not None:
            acknowledge_all(
                monitoring_role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole]": "RDS's own policy for Enhanced "
                    "Monitoring: it may only write the RDSOSMetrics log group.",
                },
            )

    @property
    def address(self) -> str:
        return self._instance.db_instance_endpoint_address

    @property
    def alarm(self) -> cloudwatch.Alarm:
        return self._alarm

    def lag_metric(self) -> cloudwatch.IMetric:
        return self._instance.metric("ReplicaLag", statistic="Maximum", period=Duration.minutes(5))
