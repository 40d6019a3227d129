"""RDS PostgreSQL, its two secrets (owner and app role), alarms, and deploy-time migrations.

A secret per database role:

* the **owner** (the RDS master user, ``courtside_admin``) owns the schema; only the migrator
  logs in with it;
* the **login roles** the functions use, one secret each (`login_roles`): ``courtside_app``
  (the whole app, all-in-one; migration ``0007_app_role``: DML on the app's tables only), or,
  split, one role per service (``courtside_public``, ``courtside_web``, ``courtside_ingest``;
  migration ``0010_service_roles``: only what that service's code needs). The migrator sets
  each role's password from its secret on every deploy; a function reads only its own role's
  secret (``DATABASE_SECRET_ARN``). With rotation on, Secrets Manager's multi-user rotation
  alternates ``<role>`` / ``<role>_clone`` (the clone is a member of the role).

No RDS Proxy: every Lambda execution environment holds one connection (pool of 1), so reserved
concurrency already bounds the connections, and asyncpg's prepared statements (and our
``search_path`` startup parameter) would pin every proxied session anyway — the proxy would
multiplex nothing while adding a second data path, latency and ~$22/month. The connection alarm
warns before the instance's ``max_connections`` is reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from aws_cdk import CustomResource, Duration, Fn, RemovalPolicy, Stack, custom_resources
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sam as sam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct

from infra.functions import LogSettings, Placement, VpcImageFunction
from infra.nag import acknowledge_all, acknowledge_lambda_managed_policies, logical_id

if TYPE_CHECKING:
    from database.rds_replica import RdsReadReplica

POSTGRES_MAJOR = "17"
"""Pinned as a major only: RDS applies minor upgrades itself (auto_minor_version_upgrade), and
the template, holding no minor, never disagrees with the running database. The same major runs
in docker-compose.yml and in CI (.github/workflows/test.yml)."""
ENGINE_VERSION = rds.PostgresEngineVersion.of(POSTGRES_MAJOR, POSTGRES_MAJOR)
DATABASE_NAME = "courtside"
MASTER_USERNAME = "courtside_admin"
APP_ROLE = "courtside_app"
"""Created by migration 0007_app_role; the app secret's username (an all-in-one deployment)."""
PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
"""PostgreSQL's logs RDS publishes to CloudWatch Logs (``/aws/rds/instance/<id>/<name>``)."""
OS_METRICS_LOG_GROUP = "RDSOSMetrics"
"""Where Enhanced Monitoring writes, for every instance of the account in the region."""
# RDS PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).
_BYTES_PER_CONNECTION = 9_531_392
RUNNER_DIRECTORY = Path(__file__).resolve().parent / "runner"
RUNNER_RUNTIME = lambda_.Runtime.PYTHON_3_14


class DatabaseShape(Protocol):
    """What the stack, the migrator and the dashboard use of a database, whichever the engine
    (`Database`: one RDS instance; `database.aurora.AuroraDatabase`: an Aurora cluster)."""

    @property
    def master_secret(self) -> secretsmanager.ISecret: ...
    def role_secret(self, role: str) -> secretsmanager.ISecret: ...
    @property
    def role_secrets(self) -> Mapping[str, secretsmanager.ISecret]: ...
    @property
    def security_group(self) -> ec2.ISecurityGroup: ...
    @property
    def database_name(self) -> str: ...
    @property
    def endpoint_address(self) -> str: ...
    @property
    def reader_address(self) -> str | None: ...
    @property
    def resources(self) -> Sequence[IConstruct]: ...
    @property
    def alarms(self) -> list[cloudwatch.Alarm]: ...
    def dashboard_metrics(self) -> dict[str, list[cloudwatch.IMetric]]: ...
    def allow_from(self, peer: ec2.IConnectable, description: str) -> None: ...
    def hold_rotation_until(self, construct: IConstruct) -> None: ...


def default_max_connections(memory_gib: float) -> int:
    """RDS's default ``max_connections`` for an instance with `memory_gib` (an upper estimate:
    the formula uses the memory left after the OS, a little less than the class's)."""
    return min(int(memory_gib * 1024**3 / _BYTES_PER_CONNECTION), 5000)


class Database(Construct):
    """An encrypted PostgreSQL instance in isolated subnets, reachable only from granted peers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        placement: Placement,
        rotation_subnets: ec2.SubnetSelection,
        instance_type: ec2.InstanceType,
        instance_memory_gib: float,
        allocated_storage_gib: int,
        max_allocated_storage_gib: int,
        multi_az: bool,
        backup_retention: Duration,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        rotation_days: int,
        log_retention: logs.RetentionDays,
        performance_insights: bool = False,
        monitoring_interval: Duration | None = None,
        login_roles: Sequence[str] = (APP_ROLE,),
        database_name: str = DATABASE_NAME,
        readers: int = 0,
    ) -> None:
        super().__init__(scope, construct_id)
        self._log_retention = log_retention
        self._database_name = database_name
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=placement.vpc,
            description="Courtside PostgreSQL: ingress only from the API and migration functions",
            allow_all_outbound=False,
        )
        self._instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            instance_type=instance_type,
            vpc=placement.vpc,
            vpc_subnets=placement.subnets,
            security_groups=[self._security_group],
            publicly_accessible=False,
            credentials=rds.Credentials.from_generated_secret(MASTER_USERNAME),
            database_name=database_name,
            allocated_storage=allocated_storage_gib,
            max_allocated_storage=max_allocated_storage_gib,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            multi_az=multi_az,
            backup_retention=backup_retention,
            copy_tags_to_snapshot=True,
            deletion_protection=deletion_protection,
            removal_policy=removal_policy,
            auto_minor_version_upgrade=True,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
            # What a managed database shows by default: the server's log and the upgrade log in
            # CloudWatch Logs (groups RDS creates; CDK sets their retention), query load
            # (Performance Insights, 7 days: its free tier) and OS metrics (Enhanced Monitoring).
            cloudwatch_logs_exports=list(LOG_EXPORTS),
            cloudwatch_logs_retention=log_retention,
            enable_performance_insights=performance_insights,
            performance_insight_retention=(
                rds.PerformanceInsightRetention.DEFAULT if performance_insights else None
            ),
            monitoring_interval=monitoring_interval,
        )
        engine = self._instance.node.default_child
        assert isinstance(engine, rds.CfnDBInstance)
        # cfn-lint's W3691 lists every bare major ("17") as deprecated: its data comes from
        # DescribeDBEngineVersions, which names only full versions. RDS takes a major as a
        # prefix and picks its default minor; W3691 still checks full versions everywhere else.
        engine.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3691"]}})
        master = self._instance.secret
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
            role: secret.attach(self._instance) for role, secret in role_secrets.items()
        }
        if removal_policy != RemovalPolicy.DESTROY:
            # A retained or snapshotted database is useless without its credentials. The
            # secrets themselves, not the attachments `.attach()` returns (`instance.secret` is
            # the owner's attachment too): those only bind a secret to the instance.
            owner_secret = self._instance.node.find_child("Secret")
            assert isinstance(owner_secret, secretsmanager.Secret)
            for secret in (owner_secret, *role_secrets.values()):
                secret.apply_removal_policy(RemovalPolicy.RETAIN)
        self._rotations: list[IConstruct] = []
        self._rotate(rotation_days, rotation_subnets)
        self._keep_service_logs_for(log_retention, monitoring=monitoring_interval is not None)
        self._alarms = self._create_alarms(instance_memory_gib)
        self._acknowledge(multi_az=multi_az, deletion_protection=deletion_protection)
        self._replicas: list[RdsReadReplica] = []
        for n in range(readers):  # no reader endpoint: the functions get every host
            from database.rds_replica import RdsReadReplica  # lazy: only with readers

            replica = RdsReadReplica(
                self,
                "Replica" if n == 0 else f"Replica{n + 1}",  # the first keeps its logical id
                source=self._instance,
                instance_type=instance_type,
                placement=placement,
                security_group=self._security_group,
                log_exports=[name for name in LOG_EXPORTS if name == "postgresql"],
                log_retention=log_retention,
                performance_insights=performance_insights,
                monitoring_interval=monitoring_interval,
            )
            self._replicas.append(replica)
            self._alarms.append(replica.alarm)

    def _rotate(self, rotation_days: int, subnets: ec2.SubnetSelection) -> None:
        if rotation_days == 0:
            reason = (
                "Rotation is off for this environment by config (db_rotation_days=0): a "
                "short-lived development database whose secrets never leave the account."
            )
            acknowledge_all(self._instance.node.find_child("Secret"), {"AwsSolutions-SMG4": reason})
            for role in self._role_secrets:
                secret = self.node.find_child(f"{construct_name(role)}Secret")
                acknowledge_all(secret, {"AwsSolutions-SMG4": reason})
            return
        every = Duration.days(rotation_days)
        self._instance.add_rotation_single_user(automatically_after=every, vpc_subnets=subnets)
        for role, secret in self._role_secrets.items():
            self._instance.add_rotation_multi_user(
                f"{construct_name(role)}Rotation",
                secret=secret,
                automatically_after=every,
                vpc_subnets=subnets,
            )
        self._rotations = [
            c for c in self.node.find_all() if isinstance(c, secretsmanager.CfnRotationSchedule)
        ]

    def _keep_service_logs_for(self, retention: logs.RetentionDays, *, monitoring: bool) -> None:
        """Retention on the log groups that AWS services create for this database, outside the
        stack: each rotation function's ``/aws/lambda/<name>`` (a function of a Serverless
        Application, whose template takes no log settings) and Enhanced Monitoring's
        ``RDSOSMetrics`` (one per account and region, shared by every instance there).

        `logs.LogRetention` creates the group when it is missing and sets its retention; it
        leaves the group on stack deletion, and holds no name a second deploy could collide with.
        """
        for application in self.node.find_all():
            if not isinstance(application, sam.CfnApplication):
                continue
            parameters = application.parameters
            assert isinstance(parameters, Mapping)
            rotation = application.node.scope
            assert isinstance(rotation, Construct)
            logs.LogRetention(
                rotation,
                "LogRetention",
                log_group_name=f"/aws/lambda/{parameters['functionName']}",
                retention=retention,
            )
        if monitoring:
            logs.LogRetention(
                self,
                "MonitoringLogRetention",
                log_group_name=OS_METRICS_LOG_GROUP,
                retention=retention,
            )

    def _create_alarms(self, memory_gib: float) -> list[cloudwatch.Alarm]:
        db = self._instance
        max_connections = default_max_connections(memory_gib)
        below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        return [
            db.metric_cpu_utilization().create_alarm(
                self,
                "CpuHigh",
                threshold=80,
                evaluation_periods=3,
                alarm_description="PostgreSQL CPU above 80% for 15 minutes",
            ),
            db.metric_free_storage_space().create_alarm(
                self,
                "StorageLow",
                threshold=2 * 1024**3,
                evaluation_periods=1,
                comparison_operator=below,
                alarm_description="PostgreSQL free storage below 2 GiB (autoscaling may be capped)",
            ),
            db.metric_database_connections(statistic="Maximum").create_alarm(
                self,
                "ConnectionsHigh",
                threshold=int(max_connections * 0.8),
                evaluation_periods=2,
                alarm_description=f"PostgreSQL connections above 80% of max_connections "
                f"(~{max_connections}) for 10 minutes",
            ),
            db.metric_freeable_memory().create_alarm(
                self,
                "MemoryLow",
                threshold=int(memory_gib * 1024**3 * 0.1),
                evaluation_periods=3,
                comparison_operator=below,
                alarm_description="PostgreSQL freeable memory below 10% of the instance's",
            ),
        ]

    def _acknowledge(self, *, multi_az: bool, deletion_protection: bool) -> None:
        monitoring_role = self._instance.node.try_find_child("MonitoringRole")
        if monitoring_role is not None:
            acknowledge_all(
                monitoring_role,
                {
                    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AmazonRDSEnhancedMonitoringRole]": "RDS's own policy for Enhanced "
                    "Monitoring: it may only write the RDSOSMetrics log group; the service "
                    "documents no narrower one.",
                },
            )
        reasons = {
            "AwsSolutions-RDS11": "PostgreSQL keeps its default port 5432: the instance is in "
            "isolated subnets behind a security group open only to our functions (and the "
            "rotation functions); a non-default port hides nothing from them.",
        }
        if not multi_az:
            reasons["AwsSolutions-RDS3"] = (
                "Single-AZ by config in non-production environments to halve cost; "
                "production runs Multi-AZ (db_multi_az=true)."
            )
        if not deletion_protection:
            reasons["AwsSolutions-RDS10"] = (
                "Deletion protection is off only in the disposable dev environment "
                "(db_deletion_protection=false) so the stack can be torn down."
            )
        acknowledge_all(self._instance, reasons)

    def allow_from(self, peer: ec2.IConnectable, description: str) -> None:
        """Let `peer` (a function) reach PostgreSQL."""
        self._instance.connections.allow_default_port_from(peer, description)

    def hold_rotation_until(self, construct: IConstruct) -> None:
        """No secret rotates before `construct` (the first migration) exists: rotating the
        owner's password mid-migration, or the app role's before it can log in, would fail."""
        for schedule in self._rotations:
            schedule.node.add_dependency(construct)

    @property
    def instance(self) -> rds.DatabaseInstance:
        return self._instance

    @property
    def master_secret(self) -> secretsmanager.ISecret:
        """The owner's credentials: migrations only."""
        return self._master_secret

    def role_secret(self, role: str) -> secretsmanager.ISecret:
        """A login role's credentials (host, port, username, password, dbname): its function's."""
        return self._role_secrets[role]

    @property
    def role_secrets(self) -> Mapping[str, secretsmanager.ISecret]:
        """Every login role's secret, by role."""
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
        return self._instance.db_instance_endpoint_address

    @property
    def reader_address(self) -> str | None:
        """The read replicas' endpoints, separated by commas (`DATABASE_READ_HOST`: each
        process reads one, `courtside.read_replica`), else None."""
        if not self._replicas:
            return None
        return Fn.join(",", [replica.address for replica in self._replicas])

    @property
    def resources(self) -> Sequence[IConstruct]:
        """What the first migration waits for: the instance (not the whole construct: its
        rotation schedules wait for the migration)."""
        instance = self._instance.node.default_child
        assert instance is not None
        return [instance]

    def dashboard_metrics(self) -> dict[str, list[cloudwatch.IMetric]]:
        db = self._instance
        metrics: dict[str, list[cloudwatch.IMetric]] = {
            "PostgreSQL CPU (%)": [db.metric_cpu_utilization()],
            "PostgreSQL connections": [db.metric_database_connections()],
            "PostgreSQL free storage and memory (bytes)": [
                db.metric_free_storage_space(),
                db.metric_freeable_memory(),
            ],
        }
        if self._replicas:
            metrics["Read replica lag (s)"] = [r.lag_metric() for r in self._replicas]
        return metrics

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return list(self._alarms)


def construct_name(role: str) -> str:
    """``courtside_app`` -> ``App`` (the id the app role's secret always had), ``courtside_web``
    -> ``Web``: construct ids (and so logical ids) stay stable per role."""
    return "".join(part.capitalize() for part in role.removeprefix("courtside_").split("_"))


class DatabaseMigrations(Construct):
    """Runs the migrator (``alembic upgrade head`` + the login roles' passwords) on every deploy
    that changes its image, after the database exists and before the functions' new versions.

    The migrator is the app image with its command overridden, in the VPC, reading the owner's
    and every login role's secrets. A custom resource whose handler (``database/runner``) waits for
    the new image version to be Active, then invokes it; a failure fails the deploy before any
    new code is live. Concurrent runs are serialised by the app with a PostgreSQL advisory lock.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.DockerImageCode,
        architecture: lambda_.Architecture,
        placement: Placement,
        database: DatabaseShape,
        environment: Mapping[str, str],
        logging: LogSettings,
        timeout: Duration = Duration.minutes(5),
        execute_after: Sequence[IConstruct] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        roles = dict(database.role_secrets)
        role_environment = {}
        if APP_ROLE in roles:
            role_environment["APP_DATABASE_SECRET_ARN"] = roles.pop(APP_ROLE).secret_arn
        if roles:
            role_environment["SERVICE_DATABASE_SECRET_ARNS"] = Stack.of(self).to_json_string(
                {role: secret.secret_arn for role, secret in roles.items()}
            )
        self._migrator = VpcImageFunction(
            self,
            "Function",
            code=code,
            architecture=architecture,
            description="Courtside migrator: alembic upgrade head and the login roles' passwords",
            security_group_description="Courtside migrator",
            placement=placement,
            memory_mb=512,
            timeout=timeout,
            environment={
                **environment,
                "DATABASE_SECRET_ARN": database.master_secret.secret_arn,
                "DATABASE_NAME": database.database_name,
                **role_environment,
            },
            secrets=[database.master_secret, *database.role_secrets.values()],
            logging=logging,
        )
        database.allow_from(self._migrator.function, "Migrations to PostgreSQL")
        migrator = self._migrator.function

        runner_logs = logs.LogGroup(
            self, "RunnerLogs", retention=logging.retention, removal_policy=logging.removal_policy
        )
        self._runner = lambda_.Function(
            self,
            "Runner",
            runtime=RUNNER_RUNTIME,
            handler="handler.on_event",
            code=lambda_.Code.from_asset(
                str(RUNNER_DIRECTORY), exclude=["__init__.py", "__pycache__"]
            ),
            # Waiting (5 min at most) plus the migrator's own timeout, within Lambda's 15.
            timeout=Duration.minutes(14),
            memory_size=256,
            description="Courtside: waits for the migrator's new version, then runs it",
            log_group=runner_logs,
        )
        acknowledge_lambda_managed_policies(self._runner, in_vpc=False)
        migrator.grant_invoke(self._runner)
        self._runner.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:GetFunctionConfiguration"],
                resources=[migrator.function_arn, f"{migrator.function_arn}:*"],
            )
        )
        framework_logs = logs.LogGroup(
            self, "ProviderLogs", retention=logging.retention, removal_policy=logging.removal_policy
        )
        provider = custom_resources.Provider(
            self, "Provider", on_event_handler=self._runner, log_group=framework_logs
        )
        self._resource = CustomResource(
            self,
            "Run",
            service_token=provider.service_token,
            resource_type="Custom::Migrations",
            # A new image publishes a new version: the resource updates and migrations run.
            properties={"MigratorVersionArn": migrator.current_version.function_arn},
        )
        # The instance and its ingress rules (not the whole construct: its rotation schedules
        # wait for this resource, below).
        self._resource.node.add_dependency(
            *database.resources, database.security_group, *execute_after
        )
        database.hold_rotation_until(self._resource)
        self._acknowledge(provider)

    def _acknowledge(self, provider: custom_resources.Provider) -> None:
        framework = provider.node.find_child("framework-onEvent")
        acknowledge_lambda_managed_policies(framework, in_vpc=False)
        acknowledge_all(
            self._runner,
            {
                f"AwsSolutions-IAM5[Resource::<{logical_id(self._migrator.function)}.Arn>:*]": (
                    "The runner invokes (and waits for) the migrator's newest version, whose "
                    "number changes with every image; the grant covers that one function's "
                    "versions and nothing else."
                ),
            },
        )
        acknowledge_all(
            framework,
            {
                f"AwsSolutions-IAM5[Resource::<{logical_id(self._runner)}.Arn>:*]": (
                    "CDK's custom-resource framework may invoke any version of the one runner "
                    "function it fronts (lambda.grantInvoke adds the :* form); nothing else."
                ),
            },
        )

    def run_before(self, *constructs: IConstruct) -> None:
        """Make `constructs` (the functions' new versions) wait for a successful migration."""
        for construct in constructs:
            construct.node.add_dependency(self._resource)

    @property
    def function(self) -> lambda_.DockerImageFunction:
        return self._migrator.function

    @property
    def runner(self) -> lambda_.Function:
        return self._runner

    @property
    def resource(self) -> CustomResource:
        return self._resource
