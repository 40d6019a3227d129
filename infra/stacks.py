"""The deployable stacks: one per environment, plus its us-east-1 certificate when needed."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Stack, Tags
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from api.infrastructure import (
    MIGRATE_HANDLER,
    ApiFunction,
    architecture_for,
    image_code,
)
from cache.infrastructure import Cache
from cdn.infrastructure import EDGE_MAX_BODY_BYTES, Cdn, SiteCertificate
from database.infrastructure import Database, DatabaseMigrations
from infra.alerting import AlarmTopic
from infra.config import CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS, EnvironmentConfig
from infra.log_groups import give_provider_functions_log_groups
from infra.nag import acknowledge_all
from infra.network import Network

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


def stack_name(config: EnvironmentConfig) -> str:
    return f"Courtside-{config.name}"


def certificate_stack_name(config: EnvironmentConfig) -> str:
    return f"Courtside-{config.name}-Certificate"


def hosted_zone(scope: Construct, config: EnvironmentConfig) -> route53.IHostedZone:
    """Imported by attributes: a lookup would need credentials at synth time."""
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
    )


class CertificateStack(Stack):
    """The CloudFront certificate, in us-east-1 (only for environments in other regions)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region="us-east-1"),
            cross_region_references=True,
            description=f"Courtside {config.name}: CloudFront certificate (us-east-1)",
            termination_protection=config.is_production,
        )
        self._site = SiteCertificate(
            self, "Site", domain_name=config.domain_name, hosted_zone=hosted_zone(self, config)
        )

    @property
    def certificate(self) -> acm.ICertificate:
        return self._site.certificate


class CourtsideStack(Stack):
    """Everything one environment runs: network, database, cache, API, migrations and CDN."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        certificate: acm.ICertificate | None = None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            cross_region_references=certificate is not None,
            description=f"Courtside {config.name}: API, database, cache and CDN",
            termination_protection=config.is_production,
        )
        # The proxy target group's schema has no Tags (CDK's tag aspect would add them anyway).
        untaggable = ["AWS::RDS::DBProxyTargetGroup"]
        Tags.of(self).add("project", "courtside", exclude_resource_types=untaggable)
        Tags.of(self).add("environment", config.name, exclude_resource_types=untaggable)
        removal = REMOVAL_POLICIES[config.db_removal_policy]
        # Log groups are worth keeping when the data is kept.
        logs_removal = (
            RemovalPolicy.DESTROY if removal == RemovalPolicy.DESTROY else RemovalPolicy.RETAIN
        )
        retention = RETENTION[config.log_retention_days]
        zone = hosted_zone(self, config)
        if certificate is None:
            certificate = SiteCertificate(
                self, "Site", domain_name=config.domain_name, hosted_zone=zone
            ).certificate

        self.network = Network(
            self,
            "Network",
            max_azs=config.max_azs,
            nat_gateways=config.nat_gateways,
            flow_log_retention=retention,
            removal_policy=logs_removal,
        )
        vpc = self.network.vpc
        self.database = Database(
            self,
            "Database",
            vpc=vpc,
            subnets=self.network.data_subnets,
            rotation_subnets=self.network.app_subnets,
            instance_type=ec2.InstanceType(config.db_instance_class),
            allocated_storage_gib=config.db_allocated_storage_gib,
            max_allocated_storage_gib=config.db_max_allocated_storage_gib,
            multi_az=config.db_multi_az,
            backup_retention=Duration.days(config.db_backup_retention_days),
            deletion_protection=config.db_deletion_protection,
            removal_policy=removal,
            use_proxy=config.db_use_proxy,
            rotation_days=config.db_rotation_days,
        )
        self.cache = Cache(
            self,
            "Cache",
            vpc=vpc,
            subnets=self.network.data_subnets,
            node_type=config.cache_node_type,
            multi_az=config.cache_multi_az,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.jwt_secret = secretsmanager.Secret(
            self,
            "JwtSecret",
            description="Courtside JWT signing key (plain string)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            removal_policy=removal if removal != RemovalPolicy.SNAPSHOT else RemovalPolicy.RETAIN,
        )
        acknowledge_all(
            self.jwt_secret,
            {
                "AwsSolutions-SMG4": "Rotating the JWT signing key logs every user out; it is "
                "rotated by hand (put a new value, the app re-reads it) rather than on a schedule.",
            },
        )

        architecture = architecture_for(config.lambda_architecture)
        common_env = {
            "ENVIRONMENT": config.name,
            "LOG_LEVEL": config.log_level,
            "OTEL_ENABLED": "true" if config.otel_enabled else "false",
        }
        self.migrations = DatabaseMigrations(
            self,
            "Migrations",
            code=image_code(architecture=config.lambda_architecture, cmd=[MIGRATE_HANDLER]),
            architecture=architecture,
            vpc=vpc,
            subnets=self.network.app_subnets,
            database=self.database,
            environment=common_env,
            log_retention=retention,
            removal_policy=logs_removal,
            execute_after=[self.network.secrets_manager_endpoint],
        )
        api_env = {
            **common_env,
            "DATABASE_SECRET_ARN": self.database.secret.secret_arn,
            "DATABASE_NAME": self.database.database_name,
            "DATABASE_USE_PROXY": "true" if self.database.proxy is not None else "false",
            "REDIS_HOST": self.cache.host,
            "REDIS_PORT": str(self.cache.port),
            "REDIS_TLS": "true",
            "REDIS_AUTH_SECRET_ARN": self.cache.auth_secret.secret_arn,
            "JWT_SECRET_ARN": self.jwt_secret.secret_arn,
            "BEHIND_CLOUDFRONT": "true",
            "PUBLIC_BASE_URL": config.public_base_url,
            # What Lambda@Edge can hash: larger bodies never reach the app through CloudFront.
            "MAX_BODY_BYTES": str(EDGE_MAX_BODY_BYTES),
            "INGEST_MAX_BODY_BYTES": str(EDGE_MAX_BODY_BYTES),
        }
        if self.database.app_host is not None:
            api_env["DATABASE_HOST"] = self.database.app_host
        self.api = ApiFunction(
            self,
            "Api",
            code=image_code(architecture=config.lambda_architecture),
            architecture=architecture,
            vpc=vpc,
            subnets=self.network.app_subnets,
            environment=api_env,
            secrets=[self.database.secret, self.cache.auth_secret, self.jwt_secret],
            memory_mb=config.lambda_memory_mb,
            timeout=Duration.seconds(config.lambda_timeout_seconds),
            reserved_concurrency=config.reserved_concurrency,
            log_retention=retention,
            removal_policy=logs_removal,
        )
        self.database.allow_app_from(self.api.function)
        self.cache.allow_from(self.api.function)
        self.migrations.run_before(self.api.function)

        self.cdn = Cdn(
            self,
            "Cdn",
            function=self.api.function,
            function_url=self.api.function_url,
            domain_name=config.domain_name,
            hosted_zone=zone,
            certificate=certificate,
            price_class=PRICE_CLASSES[config.cdn_price_class],
            log_retention=Duration.days(config.log_retention_days),
            edge_log_retention_days=config.log_retention_days,
            edge_log_removal_policy=logs_removal,
            origin_read_timeout=Duration.seconds(CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS),
        )
        give_provider_functions_log_groups(self, retention=retention, removal_policy=logs_removal)
        self.alarms = AlarmTopic(
            self,
            "Alarms",
            display_name=f"Courtside {config.name} alarms",
            email=config.alarm_email,
            removal_policy=logs_removal,
        )
        self.alarms.notify_on_every_alarm(self)

        CfnOutput(self, "SiteUrl", value=config.public_base_url)
        CfnOutput(self, "DistributionId", value=self.cdn.distribution.distribution_id)
        CfnOutput(self, "FunctionName", value=self.api.function.function_name)
        CfnOutput(self, "MigrationFunctionName", value=self.migrations.function.function_name)
        CfnOutput(self, "DatabaseEndpoint", value=self.database.endpoint_address)
        CfnOutput(self, "DatabaseSecretArn", value=self.database.secret.secret_arn)
