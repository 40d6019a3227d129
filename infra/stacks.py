"""The deployable stacks of one environment.

* ``Courtside-<env>-Edge`` (us-east-1): what CloudFront only takes from us-east-1 — the
  certificate, the web ACL and the Lambda@Edge payload signer;
* ``Courtside-<env>`` (the environment's region): network, database, cache, the app's
  functions (the whole app, or one per service: ``services`` in the config), migrations,
  e-mail (SES, when enabled), CloudFront, DNS, alarms and the dashboard;
* ``Courtside-<env>-EdgeAlarms`` (us-east-1, after the main stack): alarms on CloudFront's
  metrics, which exist only in us-east-1, with that region's alarm topic.

An environment whose region is us-east-1 has only the main stack, holding all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from api.infrastructure import (
    MIGRATE_HANDLER,
    ServiceFunction,
    app_image,
    app_release,
    architecture_for,
)
from cache.infrastructure import Cache
from cdn.firewall import WebFirewall
from cdn.infrastructure import (
    EDGE_MAX_BODY_BYTES,
    Cdn,
    EdgeAlarms,
    PayloadSigner,
    SiteCertificate,
    behaviour_patterns,
)
from courtside.services_registry import DEFAULT_SERVICE, WHOLE_APP, Service, service
from database.aurora import AuroraDatabase
from database.infrastructure import Database, DatabaseMigrations, DatabaseShape
from infra.alerting import AlarmTopic
from infra.catalog import RDS_POSTGRES
from infra.config import (
    CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS,
    EDGE_REGION,
    EnvironmentConfig,
    FunctionPlan,
    reads_replica,
)
from infra.email_sending import EmailSending
from infra.functions import LogSettings
from infra.log_groups import give_provider_functions_log_groups
from infra.monitoring import OperationsDashboard
from infra.nag import acknowledge_all
from infra.network import Network
from infra.release_checks import checks_for
from infra.routing import host_paths, split_origins
from infra.sso import SingleSignOn
from infra.tracing import Tracing

REMOVAL_POLICIES = {
    "destroy": RemovalPolicy.DESTROY,
    "snapshot": RemovalPolicy.SNAPSHOT,
    "retain": RemovalPolicy.RETAIN,
}
RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
PRICE_CLASSES = {
    "PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
    "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
    "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL,
}
_CONFIGS = codedeploy.LambdaDeploymentConfig
DEPLOYMENT_CONFIGS = {
    "ALL_AT_ONCE": _CONFIGS.ALL_AT_ONCE,
    "CANARY_10PERCENT_5MINUTES": _CONFIGS.CANARY_10_PERCENT_5_MINUTES,
    "LINEAR_10PERCENT_EVERY_1MINUTE": _CONFIGS.LINEAR_10_PERCENT_EVERY_1_MINUTE,
}


def function_id(service: Service) -> str:
    """A function's construct id: ``Api`` for the whole app (its id before the split, so an
    all-in-one environment keeps its resources), ``Public``, ``Web``, ``Ingest`` per service."""
    return "Api" if service is WHOLE_APP else service.name.capitalize()


def stack_name(config: EnvironmentConfig) -> str:
    return f"Courtside-{config.name}"


def edge_stack_name(config: EnvironmentConfig) -> str:
    return f"Courtside-{config.name}-Edge"


def edge_alarms_stack_name(config: EnvironmentConfig) -> str:
    return f"Courtside-{config.name}-EdgeAlarms"


def hosted_zone(scope: Construct, config: EnvironmentConfig) -> route53.IHostedZone:
    """Imported by attributes: a lookup would need credentials at synth time."""
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
    )


def log_settings(config: EnvironmentConfig) -> LogSettings:
    """Log groups keep the environment's retention and are kept when the data is kept."""
    destroy = config.db_removal_policy == "destroy"
    return LogSettings(
        retention=RETENTION[config.log_retention_days],
        removal_policy=RemovalPolicy.DESTROY if destroy else RemovalPolicy.RETAIN,
    )


def _tag(stack: Stack, config: EnvironmentConfig) -> None:
    Tags.of(stack).add("project", "courtside")
    Tags.of(stack).add("environment", config.name)


@dataclass(frozen=True)
class EdgeResources:
    """What CloudFront needs from us-east-1."""

    certificate: acm.ICertificate
    payload_signer: lambda_.IVersion
    web_acl_arn: str | None


def add_edge_resources(
    scope: Construct, config: EnvironmentConfig, zone: route53.IHostedZone
) -> EdgeResources:
    """The certificate, the payload signer and (when enabled) the web ACL, in `scope`'s stack
    (which must be in us-east-1)."""
    logging = log_settings(config)
    certificate = SiteCertificate(
        scope,
        "Site",
        domain_name=config.domain_name,
        hosted_zone=zone,
        alternative_names=sorted(config.service_aliases.values()),
    ).certificate
    signer = PayloadSigner(
        scope,
        "SignPayload",
        log_retention_days=config.log_retention_days,
        log_retention=logging.retention,
        log_removal_policy=logging.removal_policy,
    )
    firewall = (
        WebFirewall(
            scope,
            "Firewall",
            name=f"courtside-{config.name}",
            mode=config.waf_mode,
            rate_limit=config.waf_rate_limit,
            sensitive_rate_limit=config.waf_sensitive_rate_limit,
            log_retention=logging.retention,
            log_removal_policy=logging.removal_policy,
        )
        if config.waf_enabled
        else None
    )
    return EdgeResources(
        certificate=certificate,
        payload_signer=signer.current_version,
        web_acl_arn=firewall.web_acl_arn if firewall else None,
    )


def add_alarm_topic(scope: Construct, config: EnvironmentConfig, region: str) -> AlarmTopic:
    return AlarmTopic(
        scope,
        "Alarms",
        display_name=f"Courtside {config.name} alarms",
        email=config.alarm_email,
        existing_topic_arns=config.topics_in(region),
        removal_policy=log_settings(config).removal_policy,
    )


class EdgeStack(Stack):
    """us-east-1: the certificate, web ACL and payload signer of an environment elsewhere."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=EDGE_REGION),
            cross_region_references=True,
            description=f"Courtside {config.name}: certificate, WAF and edge function (us-east-1)",
            termination_protection=config.is_production,
        )
        _tag(self, config)
        self.resources = add_edge_resources(self, config, hosted_zone(self, config))
        logging = log_settings(config)
        give_provider_functions_log_groups(
            self, retention=logging.retention, removal_policy=logging.removal_policy
        )


class EdgeAlarmsStack(Stack):
    """us-east-1, deployed after the main stack: alarms on CloudFront's metrics."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        distribution_id: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=EDGE_REGION),
            cross_region_references=True,
            description=f"Courtside {config.name}: CloudFront alarms (us-east-1)",
            termination_protection=config.is_production,
        )
        _tag(self, config)
        EdgeAlarms(self, "Cdn", distribution_id=distribution_id)
        add_alarm_topic(self, config, EDGE_REGION).notify_on_every_alarm(self)
        logging = log_settings(config)
        give_provider_functions_log_groups(
            self, retention=logging.retention, removal_policy=logging.removal_policy
        )


class CourtsideStack(Stack):
    """Everything one environment runs in its region (and, in us-east-1, the edge too)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        edge: EdgeResources | None = None,
        hotfix: bool = False,
    ) -> None:
        self._hotfix = hotfix
        in_edge_region = config.region == EDGE_REGION
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            cross_region_references=not in_edge_region,
            description=f"Courtside {config.name}: API, database, cache and CDN",
            termination_protection=config.is_production,
        )
        _tag(self, config)
        logging = log_settings(config)
        data_removal = REMOVAL_POLICIES[config.db_removal_policy]
        zone = hosted_zone(self, config)
        if edge is None:
            if not in_edge_region:
                raise ValueError("an environment outside us-east-1 needs its EdgeStack")
            edge = add_edge_resources(self, config, zone)

        self.network = Network(
            self,
            "Network",
            max_azs=config.max_azs,
            flow_log_retention=logging.retention,
            removal_policy=logging.removal_policy,
            internet_egress=config.sso is not None,  # the identity provider (infra/sso.py)
        )
        plans = config.functions
        self.database = self._database(config, plans, data_removal, logging.retention)
        self.cache = Cache(
            self,
            "Cache",
            placement=self.network.data_placement,
            node_type=config.cache_node_type,
            multi_az=config.cache_multi_az,
            removal_policy=RemovalPolicy.DESTROY,
            auth_token_version=config.cache_auth_token_version or None,
        )
        self.jwt_secret = secretsmanager.Secret(
            self,
            "JwtSecret",
            description="Courtside JWT signing key (plain string)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=(
                RemovalPolicy.RETAIN if data_removal == RemovalPolicy.SNAPSHOT else data_removal
            ),
        )
        acknowledge_all(
            self.jwt_secret,
            {
                "AwsSolutions-SMG4": "Rotating the JWT signing key logs every user out; it is "
                "rotated by hand (put a new value, the app re-reads it) rather than on a schedule.",
            },
        )

        self.sso = (
            SingleSignOn(
                self,
                "SingleSignOn",
                config=config.sso,
                public_base_url=config.public_base_url,
                removal_policy=(
                    RemovalPolicy.RETAIN if data_removal == RemovalPolicy.SNAPSHOT else data_removal
                ),
            )
            if config.sso is not None
            else None
        )
        architecture = architecture_for(config.lambda_architecture)
        common_env: dict[str, str] = {"ENVIRONMENT": config.name, "LOG_LEVEL": config.log_level}
        # Tracing (infra/tracing.py): the app's functions only; the migrator never traces.
        self.tracing = (
            Tracing(
                self,
                "Tracing",
                network=self.network,
                transaction_search=config.otel_transaction_search == "stack",
            )
            if config.otel_enabled
            else None
        )
        self.email: EmailSending | None = None
        if config.ses_enabled:
            self.email = EmailSending(
                self,
                "Email",
                from_address=config.ses_from_address,
                hosted_zone=zone,
                configuration_set=config.ses_configuration_set,
            )
            self.network.add_ses_endpoint()
        self.migrations = DatabaseMigrations(
            self,
            "Migrations",
            code=app_image(
                architecture=config.lambda_architecture,
                command=[MIGRATE_HANDLER],
                with_tracing=config.otel_enabled,  # the functions' image: one asset
            ),
            architecture=architecture,
            placement=self.network.app_placement,
            database=self.database,
            environment=common_env,
            logging=logging,
            execute_after=[self.network.secrets_manager_endpoint],
        )
        self.functions: dict[str, ServiceFunction] = {
            plan.service.name: self._service_function(plan, config, architecture, common_env)
            for plan in plans
        }

        split = config.services == "split"
        self.cdn = Cdn(
            self,
            "Cdn",
            origins={name: fn.function_url for name, fn in self.functions.items()},
            default_origin=DEFAULT_SERVICE.name if split else WHOLE_APP.name,
            origin_of=(
                split_origins()
                if split
                else {pattern: WHOLE_APP.name for pattern in behaviour_patterns()}
            ),
            host_paths={
                host: host_paths(service(name)) for name, host in config.service_aliases.items()
            },
            payload_signer=edge.payload_signer,
            domain_name=config.domain_name,
            hosted_zone=zone,
            certificate=edge.certificate,
            web_acl_arn=edge.web_acl_arn,
            price_class=PRICE_CLASSES[config.cdn_price_class],
            log_retention=Duration.days(config.log_retention_days),
            origin_read_timeout=Duration.seconds(CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS),
        )
        for function in self.functions.values():
            function.allow_cloudfront(self.cdn.distribution_arn)
        if in_edge_region:
            EdgeAlarms(self, "EdgeAlarms", distribution_id=self.cdn.distribution.distribution_id)
        self.alarms = add_alarm_topic(self, config, config.region)
        self.alarms.notify_on_every_alarm(self)
        self.dashboard = OperationsDashboard(
            self,
            "Dashboard",
            dashboard_name=f"Courtside-{config.name}",
            services=list(self.functions.values()),
            database=self.database,
            cache=self.cache,
            cdn=self.cdn,
        )
        give_provider_functions_log_groups(
            self, retention=logging.retention, removal_policy=logging.removal_policy
        )

        CfnOutput(self, "SiteUrl", value=config.public_base_url)
        CfnOutput(self, "DistributionId", value=self.cdn.distribution.distribution_id)
        for plan in plans:
            # All-in-one: FunctionName, DeploymentGroupName, AppDatabaseSecretArn (as before the
            # split); split: PublicFunctionName, WebDeploymentGroupName, IngestDatabaseSecretArn...
            name = "" if plan.service is WHOLE_APP else function_id(plan.service)
            function = self.functions[plan.service.name]
            CfnOutput(self, f"{name}FunctionName", value=function.function.function_name)
            CfnOutput(
                self,
                f"{name}DeploymentGroupName",
                value=function.deployment_group.deployment_group_name,
            )
            CfnOutput(
                self,
                f"{name or 'App'}DatabaseSecretArn",
                value=self.database.role_secret(plan.service.database_role).secret_arn,
            )
        CfnOutput(self, "MigrationFunctionName", value=self.migrations.function.function_name)
        CfnOutput(self, "DatabaseEndpoint", value=self.database.endpoint_address)
        if self.database.reader_address is not None:
            CfnOutput(
                self,
                "DatabaseReaderEndpoint",
                value=self.database.reader_address,
                description="DATABASE_READ_HOST of the public functions: Aurora's reader "
                "endpoint, or every RDS read replica's endpoint, separated by commas",
            )
        CfnOutput(self, "DatabaseSecretArn", value=self.database.master_secret.secret_arn)
        CfnOutput(self, "CacheAuthSecretArn", value=self.cache.auth_secret.secret_arn)
        CfnOutput(self, "JwtSecretArn", value=self.jwt_secret.secret_arn)
        if self.sso is not None:
            CfnOutput(self, "OidcClientSecretArn", value=self.sso.client_secret.secret_arn)
        if self.email is not None:
            CfnOutput(self, "EmailIdentity", value=self.email.domain)

    def _database(
        self,
        config: EnvironmentConfig,
        plans: tuple[FunctionPlan, ...],
        data_removal: RemovalPolicy,
        log_retention: logs.RetentionDays,
    ) -> DatabaseShape:
        """The environment's database: one RDS instance, or an Aurora Serverless v2 cluster."""
        monitoring = (
            Duration.seconds(config.db_monitoring_interval_seconds)
            if config.db_monitoring_interval_seconds
            else None
        )
        if config.db_engine == "aurora-serverless-v2":
            return AuroraDatabase(
                self,
                "Database",
                login_roles=[plan.service.database_role for plan in plans],
                placement=self.network.data_placement,
                rotation_subnets=self.network.app_subnets,
                readers=config.db_readers,
                min_acu=config.db_min_acu,
                max_acu=config.db_max_acu,
                backup_retention=Duration.days(config.db_backup_retention_days),
                deletion_protection=config.db_deletion_protection,
                removal_policy=data_removal,
                rotation_days=config.db_rotation_days,
                log_retention=log_retention,
                performance_insights=config.db_performance_insights,
                monitoring_interval=monitoring,
            )
        return Database(
            self,
            "Database",
            login_roles=[plan.service.database_role for plan in plans],
            placement=self.network.data_placement,
            rotation_subnets=self.network.app_subnets,
            instance_type=ec2.InstanceType(config.db_instance_class),
            instance_memory_gib=RDS_POSTGRES[config.db_instance_class].memory_gib,
            allocated_storage_gib=config.db_allocated_storage_gib,
            max_allocated_storage_gib=config.db_max_allocated_storage_gib,
            multi_az=config.db_multi_az,
            backup_retention=Duration.days(config.db_backup_retention_days),
            deletion_protection=config.db_deletion_protection,
            removal_policy=data_removal,
            rotation_days=config.db_rotation_days,
            log_retention=log_retention,
            performance_insights=config.db_performance_insights,
            monitoring_interval=monitoring,
            readers=config.db_readers,
        )

    def _service_function(
        self,
        plan: FunctionPlan,
        config: EnvironmentConfig,
        architecture: lambda_.Architecture,
        common_env: dict[str, str],
    ) -> ServiceFunction:
        """One function of the app: the whole app, or one service, with only what it needs."""
        service = plan.service
        construct_id = function_id(service)
        database_secret = self.database.role_secret(service.database_role)
        environment = {
            **common_env,
            # The service's own database role: only what its code needs (migrations 0007/0010).
            "DATABASE_SECRET_ARN": database_secret.secret_arn,
            "DATABASE_NAME": self.database.database_name,
            "REDIS_HOST": self.cache.host,
            "REDIS_PORT": str(self.cache.port),
            "REDIS_TLS": "true",
            "REDIS_AUTH_SECRET_ARN": self.cache.auth_secret.secret_arn,
            "CACHE_RELEASE": app_release(),  # entries of this code's own encoding only
            "BEHIND_CLOUDFRONT": "true",
            "PUBLIC_BASE_URL": config.public_base_url,
            # What Lambda@Edge can hash: larger bodies never reach the app through CloudFront.
            "MAX_BODY_BYTES": str(EDGE_MAX_BODY_BYTES),
            "INGEST_MAX_BODY_BYTES": str(EDGE_MAX_BODY_BYTES),
        }
        reader = self.database.reader_address
        if reads_replica(service) and reader is not None:  # public misses (read_replica)
            environment["DATABASE_READ_HOST"] = reader
        elif reads_replica(service):  # a cold miss reads without SQLAlchemy (driver_reads)
            environment["DB_DRIVER_READS"] = "true"
        secrets: list[secretsmanager.ISecret] = [database_secret, self.cache.auth_secret]
        if service.signs_people_in:  # the others never read a token (services_registry)
            environment["JWT_SECRET_ARN"] = self.jwt_secret.secret_arn
            secrets.append(self.jwt_secret)
            if self.sso is not None:
                environment.update(self.sso.environment)
                secrets.append(self.sso.client_secret)
        email = self.email if service.sends_email else None
        if email is not None:
            environment.update(email.environment)
        if self.tracing is not None:
            environment.update(self.tracing.environment(f"courtside-{service.name}"))
        else:
            environment["OTEL_ENABLED"] = "false"
        function = ServiceFunction(
            self,
            construct_id,
            service_name=construct_id,
            code=app_image(
                architecture=config.lambda_architecture,
                command=None if service is WHOLE_APP else [service.handler],
                with_tracing=config.otel_enabled,
            ),
            architecture=architecture,
            placement=self.network.app_placement,
            environment=environment,
            secrets=secrets,
            memory_mb=plan.memory_mb,
            timeout=Duration.seconds(plan.timeout_seconds),
            reserved_concurrency=plan.reserved_concurrency,
            logging=log_settings(config),
            deployment=DEPLOYMENT_CONFIGS[config.lambda_deployment],
            ignore_alarms=self._hotfix,
            release_checks=checks_for(service),
            public_host=config.domain_name,
            metrics_namespace=f"Courtside/{config.name}",
        )
        if email is not None:
            email.grant_send(function.function)
            # Its first e-mail must find the SES endpoint in place.
            endpoint = self.network.ses_endpoint
            assert endpoint is not None
            function.function.node.add_dependency(endpoint)
        if self.tracing is not None:
            self.tracing.instrument(function.function)
        self.database.allow_from(function.connections, f"{construct_id} function to PostgreSQL")
        self.cache.allow_from(function.connections, f"{construct_id} function to cache")
        # The new version (and the alias shifting to it) waits for the migrations.
        self.migrations.run_before(function.function.current_version, function.alias)
        return function
