"""RDS PostgreSQL, its generated secret, an optional RDS Proxy, and deploy-time migrations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, triggers
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge_all, acknowledge_lambda_managed_policies

# A current minor: cfn-lint (W3691) flags deprecated ones, and RDS refuses to create them.
ENGINE_VERSION = rds.PostgresEngineVersion.VER_17_9
DATABASE_NAME = "courtside"
MASTER_USERNAME = "courtside_admin"


class Database(Construct):
    """An encrypted PostgreSQL instance in isolated subnets, reachable only from granted peers.

    Credentials are generated into Secrets Manager (JSON with host, port, username, password,
    dbname). With ``rotation_days > 0`` the secret rotates (single user): the app re-reads the
    secret when authentication fails, so rotation does not need a deploy. With ``use_proxy`` the
    app connects through RDS Proxy (TLS required) while migrations keep connecting directly, so
    their session-level advisory lock does not pin proxy connections.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        rotation_subnets: ec2.SubnetSelection,
        instance_type: ec2.InstanceType,
        allocated_storage_gib: int,
        max_allocated_storage_gib: int,
        multi_az: bool,
        backup_retention: Duration,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        use_proxy: bool,
        rotation_days: int,
        database_name: str = DATABASE_NAME,
    ) -> None:
        super().__init__(scope, construct_id)
        self._database_name = database_name
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Courtside PostgreSQL: ingress only from the API and migration functions",
            allow_all_outbound=False,
        )
        self._instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            instance_type=instance_type,
            vpc=vpc,
            vpc_subnets=subnets,
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
        )
        secret = self._instance.secret
        assert secret is not None  # from_generated_secret always creates one
        self._secret: secretsmanager.ISecret = secret
        if removal_policy != RemovalPolicy.DESTROY:
            # A retained or snapshotted database is useless without its credentials.
            secret.apply_removal_policy(RemovalPolicy.RETAIN)

        if rotation_days > 0:
            self._instance.add_rotation_single_user(
                automatically_after=Duration.days(rotation_days),
                vpc_subnets=rotation_subnets,
            )
        else:
            acknowledge_all(
                self._instance.node.find_child("Secret"),
                {
                    "AwsSolutions-SMG4": (
                        "Rotation is off for this environment by config (db_rotation_days=0): "
                        "a short-lived development database whose secret never leaves the account."
                    ),
                },
            )

        self._proxy: rds.DatabaseProxy | None = None
        if use_proxy:
            proxy_sg = ec2.SecurityGroup(
                self,
                "ProxySecurityGroup",
                vpc=vpc,
                description="Courtside RDS Proxy: ingress only from the API function",
                allow_all_outbound=False,
            )
            self._proxy = self._instance.add_proxy(
                "Proxy",
                vpc=vpc,
                vpc_subnets=subnets,
                secrets=[secret],
                security_groups=[proxy_sg],
                require_tls=True,
                debug_logging=False,
            )
            self._instance.connections.allow_default_port_from(proxy_sg, "RDS Proxy to PostgreSQL")
            proxy_sg.add_egress_rule(
                self._security_group,
                ec2.Port.tcp(self.port),
                "RDS Proxy to PostgreSQL",
            )

        # Alarms worth a page for a small instance.
        self._instance.metric_cpu_utilization().create_alarm(
            self,
            "CpuHigh",
            threshold=80,
            evaluation_periods=3,
            alarm_description="PostgreSQL CPU above 80% for 15 minutes",
        )
        self._instance.metric_free_storage_space().create_alarm(
            self,
            "StorageLow",
            threshold=2 * 1024**3,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            alarm_description="PostgreSQL free storage below 2 GiB (autoscaling may be capped)",
        )

        acknowledge_all(
            self._instance,
            {
                "AwsSolutions-RDS11": "PostgreSQL keeps its default port 5432: the instance is in "
                "isolated subnets behind a security group open only to our functions, and RDS "
                "Proxy always listens on 5432, which the app's DATABASE_HOST override relies on.",
            },
        )
        if not multi_az:
            acknowledge_all(
                self._instance,
                {
                    "AwsSolutions-RDS3": (
                        "Single-AZ by config in non-production environments to halve cost; "
                        "production runs Multi-AZ (db_multi_az=true)."
                    ),
                },
            )
        if not deletion_protection:
            acknowledge_all(
                self._instance,
                {
                    "AwsSolutions-RDS10": (
                        "Deletion protection is off only in the disposable dev environment "
                        "(db_deletion_protection=false) so the stack can be torn down."
                    ),
                },
            )

    def allow_app_from(self, peer: ec2.IConnectable) -> None:
        """Let the API reach the database — through the proxy when there is one."""
        target: ec2.IConnectable = self._proxy if self._proxy is not None else self._instance
        target.connections.allow_from(peer, ec2.Port.tcp(self.port), "API function to PostgreSQL")

    def allow_direct_from(self, peer: ec2.IConnectable) -> None:
        """Let a client (the migration function) reach the instance itself."""
        self._instance.connections.allow_default_port_from(peer, "Migrations to PostgreSQL")

    @property
    def instance(self) -> rds.DatabaseInstance:
        return self._instance

    @property
    def secret(self) -> secretsmanager.ISecret:
        return self._secret

    @property
    def proxy(self) -> rds.DatabaseProxy | None:
        return self._proxy

    @property
    def security_group(self) -> ec2.ISecurityGroup:
        return self._security_group

    @property
    def database_name(self) -> str:
        return self._database_name

    @property
    def port(self) -> int:
        return 5432

    @property
    def endpoint_address(self) -> str:
        """The instance endpoint (what the secret's `host` says)."""
        return self._instance.db_instance_endpoint_address

    @property
    def app_host(self) -> str | None:
        """The host the API should use instead of the secret's, or None to use the secret's."""
        return self._proxy.endpoint if self._proxy is not None else None


class DatabaseMigrations(Construct):
    """Runs ``alembic upgrade head`` from the app image on every deploy that changes the image.

    A `triggers.Trigger` invokes the migration function after the database exists and before
    the API function is updated; it re-runs whenever the function's current version changes
    (any new image). The handler raises on failure, failing the deploy before new code is live.
    Concurrent runs are serialised by the app with a PostgreSQL advisory lock.
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
        database: Database,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        timeout: Duration = Duration.minutes(5),
        execute_after: Sequence[Construct] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self._security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Courtside migrations: egress to PostgreSQL and AWS endpoints",
            allow_all_outbound=True,
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy
        )
        self._function = lambda_.DockerImageFunction(
            self,
            "Function",
            code=code,
            architecture=architecture,
            description="Courtside: alembic upgrade head (deploy-time trigger)",
            memory_size=512,
            timeout=timeout,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self._security_group],
            log_group=log_group,
            environment={
                **environment,
                "DATABASE_SECRET_ARN": database.secret.secret_arn,
                "DATABASE_NAME": database.database_name,
                "DATABASE_USE_PROXY": "false",
            },
            # One migration at a time per account is already guaranteed by the advisory lock;
            # no reserved concurrency so it never eats into the API's pool.
        )
        acknowledge_lambda_managed_policies(self._function, in_vpc=True)
        database.secret.grant_read(self._function)
        database.allow_direct_from(self._function)
        self._trigger = triggers.Trigger(
            self,
            "Run",
            handler=self._function,
            # The endpoint too: without a NAT it is the only way to reach Secrets Manager.
            execute_after=[database, *execute_after],
            execute_on_handler_change=True,
            timeout=timeout,
        )

    def run_before(self, *scopes: Construct) -> None:
        """Make the given constructs (the API function) wait for a successful migration."""
        self._trigger.execute_before(*scopes)

    @property
    def function(self) -> lambda_.DockerImageFunction:
        return self._function

    @property
    def trigger(self) -> triggers.Trigger:
        return self._trigger
