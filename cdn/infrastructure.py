"""CloudFront in front of the app's Function URLs, with its certificate, edge code and DNS records.

One distribution per environment. Its origins are the app's functions: one (the whole app), or
one per service (public, web, ingest), each path pattern routed to the function that serves it
(`origin_of`; the stacks derive it from the app's service registry, and tests/infra check every
route of the app lands on its service); the default behaviour (pages) goes to `default_origin`.
Optional extra host names (`host_paths`, e.g. ``public.dev.example.com``) serve only their own
service's paths: the viewer-request function answers any other path with a JSON 404.

Origin protection (see docs/deploy.md, "Why Origin Access Control"): the Function URL requires
IAM auth and CloudFront signs every origin request with Origin Access Control. Three traps
of that setup are handled here:

* Lambda demands ``x-amz-content-sha256`` on requests with a body: a Lambda@Edge origin-request
  function (``cdn/edge/sign_payload.py``, body included) adds it. It lives in us-east-1 with the
  certificate and the web ACL (`PayloadSigner`); its versions are retained, since replicas of an
  old version may outlive the update by hours and would make its deletion fail.
* OAC overwrites the viewer's ``Authorization`` header with its signature, and the Function URL
  must not receive the public ``Host``: a viewer-request CloudFront Function copies both into
  ``X-Forwarded-Authorization`` / ``X-Forwarded-Host``; dynamic routes forward all viewer headers
  except ``Host``.
* Function URLs need both ``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` for the
  CloudFront principal (aws/aws-cdk#35872). The pinned aws-cdk-lib grants both, scoped to this
  distribution; the tests fail if an upgrade drops either.

What is cached: public ``GET /v1`` data (as long as the app's ``s-maxage`` says), keyed on path
and only the query parameters its route group reads (`PUBLIC_ROUTE_GROUPS`: a junk parameter hits
the cache instead of the database); ``/static`` forever when the URL carries the content hash.
HTML pages, private routes and anything unlisted under ``/v1`` are never cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins_
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk.aws_cloudfront import experimental
from constructs import Construct

from infra.nag import acknowledge_all, acknowledge_lambda_managed_policies

EDGE_DIRECTORY = Path(__file__).resolve().parent / "edge"
VIEWER_REQUEST_FILE = EDGE_DIRECTORY / "viewer_request.js"

# Never cached, forwarded with every viewer header except Host and all cookies/query strings.
PRIVATE_PATHS = (
    "/token",
    "/v1/me",
    "/v1/me/*",
    "/v1/admin",
    "/v1/admin/*",
    "/v1/ingest",
    "/v1/ingest/*",
)
PUBLIC_ROUTE_GROUPS: Mapping[str, tuple[str, ...]] = {
    "/v1/teams*": ("limit", "offset"),
    "/v1/players*": ("limit", "offset", "position", "q", "team"),
    "/v1/games*": ("date", "limit", "offset", "status", "team", "type"),
    "/v1/odds*": ("date", "limit", "offset"),
    "/v1/predictions*": ("date", "limit", "offset"),
    "/v1/standings*": ("season",),
}
"""Public ``/v1`` path patterns and the query parameters in their cache key: exactly the
parameters the app validates on those routes (tests/infra check it against the app's routes)."""
UNLISTED_API_PATH = "/v1/*"
"""Anything else under /v1: not cached (a new public route must join a group to be cached)."""
STATIC_PATH = "/static/*"
SERVICE_PATHS = ("/v1/auth/*", "/health*")
"""Never cached, like pages, but served by another function than the pages when split:
sign-up and password changes (web), health checks (public)."""
HOST_PATHS_MARKER = "var SERVICE_HOSTS = {};"
"""The line of viewer_request.js that the distribution's host -> paths table replaces."""


@dataclass(frozen=True)
class HostPaths:
    """What an extra host name serves: paths starting with a prefix, or equal to a path."""

    prefixes: tuple[str, ...]
    paths: tuple[str, ...] = ()


def behaviour_patterns() -> list[str]:
    """The distribution's path patterns in order (CloudFront takes the first that matches)."""
    return [STATIC_PATH, *PRIVATE_PATHS, *SERVICE_PATHS, *PUBLIC_ROUTE_GROUPS, UNLISTED_API_PATH]


def viewer_request_code(host_paths: Mapping[str, HostPaths]) -> str:
    """viewer_request.js with the table of extra host names and the paths each serves."""
    source = VIEWER_REQUEST_FILE.read_text()
    assert source.count(HOST_PATHS_MARKER) == 1, "viewer_request.js lost its host table"
    table = {
        host: {"prefixes": list(paths.prefixes), "paths": list(paths.paths)}
        for host, paths in sorted(host_paths.items())
    }
    return source.replace(HOST_PATHS_MARKER, f"var SERVICE_HOSTS = {json.dumps(table)};")


EDGE_FUNCTION_REGION = "us-east-1"
LAMBDA_EDGE_LOG_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "sa-east-1",
)
"""The regions of CloudFront's regional edge caches, where Lambda@Edge runs and logs (as
documented in 2022; all enabled by default in an account). CloudFront's metrics on the
function show the regions it actually ran in."""

# CloudFront hands Lambda@Edge at most 1 MB of body (``include_body``); longer bodies arrive
# truncated and the signer answers 413. The app's own limits (MAX_BODY_BYTES,
# INGEST_MAX_BODY_BYTES) are set to this, slightly below the cap, so it advertises and enforces
# what actually gets through the CDN.
EDGE_MAX_BODY_BYTES = 1_000_000


class SiteCertificate(Construct):
    """A DNS-validated ACM certificate; CloudFront needs it in us-east-1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
        alternative_names: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        if region != "us-east-1":
            raise ValueError(f"CloudFront certificates must be in us-east-1, not {region}")
        self._certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain_name,
            subject_alternative_names=list(alternative_names) or None,
            validation=acm.CertificateValidation.from_dns(hosted_zone),
        )

    @property
    def certificate(self) -> acm.ICertificate:
        return self._certificate


class PayloadSigner(Construct):
    """The Lambda@Edge origin-request function that hashes request bodies for OAC.

    Its versions and the function itself are retained: CloudFront deletes an old version's
    replicas hours after the distribution stops using it, and deleting a version (or the
    function) that still has replicas fails the deploy. Delete old versions by hand later.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention_days: int,
        log_retention: logs.RetentionDays,
        log_removal_policy: RemovalPolicy,
        replica_log_regions: Sequence[str] = LAMBDA_EDGE_LOG_REGIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        self._function = experimental.EdgeFunction(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="sign_payload.handler",
            code=lambda_.Code.from_asset(
                str(EDGE_DIRECTORY), exclude=["*.js", "__init__.py", "__pycache__"]
            ),
            memory_size=128,
            timeout=Duration.seconds(5),
            description="Courtside: x-amz-content-sha256 for OAC-signed origin requests",
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN),
        )
        self._function.lambda_.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge_lambda_managed_policies(self._function.lambda_, in_vpc=False)
        acknowledge_all(
            self._function.lambda_,
            {
                "AwsSolutions-L1": "Pinned to python3.13, the newest Python runtime in "
                "CloudFront's list of Lambda@Edge runtimes (edge support lags the regional "
                "runtimes); raise it when that list does.",
            },
        )
        self._retain_logs(log_retention_days, log_removal_policy)
        self._expire_replica_logs(log_retention, replica_log_regions)

    def _retain_logs(self, retention_days: int, removal: RemovalPolicy) -> None:
        """The environment's retention on the function's own log group (us-east-1).

        CDK creates ``/aws/lambda/<name>`` for the function (not through ``LoggingConfig``,
        which Lambda@Edge replicas would not honour) and gives it no retention setting of ours;
        it is set here. The replicas' groups (``/aws/lambda/us-east-1.<name>`` in each region
        where an edge location ran the function) are created by Lambda@Edge, outside any stack.
        """
        group = self._function.lambda_.node.find_child("LogGroup")
        assert isinstance(group, logs.LogGroup)
        cfn = group.node.default_child
        assert isinstance(cfn, logs.CfnLogGroup)
        cfn.retention_in_days = retention_days
        group.apply_removal_policy(removal)

    def _expire_replica_logs(self, retention: logs.RetentionDays, regions: Sequence[str]) -> None:
        """Retention on the replicas' log groups, which Lambda@Edge creates (outside any stack)
        as ``/aws/lambda/us-east-1.<name>`` in the region of each regional edge cache that ran
        the function. A `logs.LogRetention` per region creates the group if it is missing and
        sets the retention, before the first request; the groups stay when the stack goes.
        A region AWS adds to `LAMBDA_EDGE_LOG_REGIONS` later is not covered until it is listed.
        """
        name = f"/aws/lambda/{EDGE_FUNCTION_REGION}.{self._function.lambda_.function_name}"
        for region in regions:
            label = "".join(part.capitalize() for part in region.split("-"))
            logs.LogRetention(
                self,
                f"ReplicaLogs{label}",
                log_group_name=name,
                log_group_region=region,
                retention=retention,
            )

    @property
    def current_version(self) -> lambda_.IVersion:
        return self._function.current_version

    @property
    def function(self) -> experimental.EdgeFunction:
        return self._function


class Cdn(Construct):
    """The public entry point: CloudFront with a custom domain over the app's Function URLs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        origins: Mapping[str, lambda_.IFunctionUrl],
        default_origin: str,
        origin_of: Mapping[str, str],
        payload_signer: lambda_.IVersion,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
        certificate: acm.ICertificate,
        web_acl_arn: str | None,
        price_class: cloudfront.PriceClass,
        log_retention: Duration,
        origin_read_timeout: Duration = Duration.seconds(30),
        public_route_groups: Mapping[str, Sequence[str]] = PUBLIC_ROUTE_GROUPS,
        host_paths: Mapping[str, HostPaths] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        host_paths = host_paths or {}
        unknown = sorted({default_origin, *origin_of.values()} - set(origins))
        if unknown:
            raise ValueError(f"no origin named {', '.join(unknown)}")
        self._viewer_request = cloudfront.Function(
            self,
            "ViewerRequest",
            code=cloudfront.FunctionCode.from_inline(viewer_request_code(host_paths)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Copy Host and Authorization into X-Forwarded-* for the app",
        )
        access_control = cloudfront.FunctionUrlOriginAccessControl(
            self, "OriginAccessControl", signing=cloudfront.Signing.SIGV4_ALWAYS
        )
        by_name = {
            name: origins_.FunctionUrlOrigin.with_origin_access_control(
                url, origin_access_control=access_control, read_timeout=origin_read_timeout
            )
            for name, url in origins.items()
        }

        def origin_for(pattern: str | None) -> cloudfront.IOrigin:
            """The origin of a behaviour's path pattern (None: the default behaviour)."""
            return by_name[origin_of.get(pattern, default_origin) if pattern else default_origin]

        headers = self._security_headers()

        def dynamic(
            pattern: str | None,
            cache_policy: cloudfront.ICachePolicy,
            viewer_protocol: cloudfront.ViewerProtocolPolicy,
        ) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin_for(pattern),
                viewer_protocol_policy=viewer_protocol,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                cache_policy=cache_policy,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=self._viewer_request,
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
                edge_lambdas=[
                    cloudfront.EdgeLambda(
                        function_version=payload_signer,
                        event_type=cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST,
                        include_body=True,
                    )
                ],
            )

        https_only = cloudfront.ViewerProtocolPolicy.HTTPS_ONLY
        disabled = cloudfront.CachePolicy.CACHING_DISABLED
        policies: dict[tuple[str, ...], cloudfront.CachePolicy] = {}
        for query_strings in public_route_groups.values():
            key = tuple(sorted(query_strings))
            if key not in policies:
                policies[key] = self._public_api_cache_policy(f"PublicApiCache{len(policies)}", key)
        behaviors: dict[str, cloudfront.BehaviorOptions] = {
            STATIC_PATH: cloudfront.BehaviorOptions(
                origin=origin_for(STATIC_PATH),
                viewer_protocol_policy=https_only,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=self._static_cache_policy(),
                response_headers_policy=headers,
                compress=True,
            ),
            **{path: dynamic(path, disabled, https_only) for path in PRIVATE_PATHS},
            **{path: dynamic(path, disabled, https_only) for path in SERVICE_PATHS},
            **{
                path: dynamic(path, policies[tuple(sorted(query_strings))], https_only)
                for path, query_strings in public_route_groups.items()
            },
            UNLISTED_API_PATH: dynamic(UNLISTED_API_PATH, disabled, https_only),
        }

        self._log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=log_retention)],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge_all(
            self._log_bucket,
            {
                "AwsSolutions-S1": (
                    "This bucket receives CloudFront access logs; logging its own access would "
                    "need yet another bucket and adds nothing for a write-only log sink."
                ),
            },
        )
        self._distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Courtside {domain_name}",
            # Web pages (everything not under /v1 or /static): never cached, forms POST.
            default_behavior=dynamic(
                None, disabled, cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS
            ),
            additional_behaviors=behaviors,
            domain_names=[domain_name, *sorted(host_paths)],
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            ssl_support_method=cloudfront.SSLMethod.SNI,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=price_class,
            enable_logging=True,
            log_bucket=self._log_bucket,
            log_file_prefix="cloudfront/",
            web_acl_id=web_acl_arn,
        )
        reasons = {
            "AwsSolutions-CFR1": "No geo restriction: the API and site serve a worldwide "
            "audience and there is no legal requirement to block countries.",
        }
        if web_acl_arn is None:
            reasons["AwsSolutions-CFR2"] = (
                "No web ACL in this environment by config (waf_enabled=false, dev): it serves "
                "no public traffic; staging and prod run the same WAF (managed rules and "
                "per-IP rate limits)."
            )
        acknowledge_all(self._distribution, reasons)
        # aws/aws-cdk#35872: Function URLs also need lambda:InvokeFunction for CloudFront. The
        # pinned aws-cdk-lib (2.275) adds it (InvokedViaFunctionUrl, SourceArn = this
        # distribution) next to lambda:InvokeFunctionUrl; tests/infra assert both stay present.
        record_target = route53.RecordTarget.from_alias(
            targets.CloudFrontTarget(self._distribution)
        )
        route53.ARecord(
            self, "AliasA", zone=hosted_zone, record_name=domain_name, target=record_target
        )
        route53.AaaaRecord(
            self, "AliasAAAA", zone=hosted_zone, record_name=domain_name, target=record_target
        )
        for host in sorted(host_paths):
            label = "".join(part.capitalize() for part in host.split(".")[0].split("-"))
            route53.ARecord(
                self, f"{label}A", zone=hosted_zone, record_name=host, target=record_target
            )
            route53.AaaaRecord(
                self, f"{label}AAAA", zone=hosted_zone, record_name=host, target=record_target
            )

    def _public_api_cache_policy(
        self, construct_id: str, query_strings: Sequence[str]
    ) -> cloudfront.CachePolicy:
        """Public GET /v1 data: the origin's Cache-Control decides (default 0 = not cached)."""
        return cloudfront.CachePolicy(
            self,
            construct_id,
            comment="Courtside public /v1: origin Cache-Control, key on "
            + ", ".join(query_strings),
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(1),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list(*query_strings),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

    def _static_cache_policy(self) -> cloudfront.CachePolicy:
        """/static: the origin says how long (a year, immutable, for content-hashed URLs)."""
        return cloudfront.CachePolicy(
            self,
            "StaticCache",
            comment="Courtside /static: origin Cache-Control, no query string in the key",
            default_ttl=Duration.minutes(5),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(365),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

    def _security_headers(self) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Courtside security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
                # The app may send a stricter policy of its own; this is the floor.
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy="frame-ancestors 'none'; base-uri 'self'; "
                    "object-src 'none'",
                    override=False,
                ),
            ),
        )

    def requests_metric(self) -> cloudwatch.Metric:
        return self._metric("Requests", "Sum")

    def error_rate_metric(self, status_class: str = "5xx") -> cloudwatch.Metric:
        """CloudFront's 5xx (or 4xx) error rate in percent; like every CloudFront metric, it
        exists only in us-east-1."""
        return self._metric(f"{status_class}ErrorRate", "Average")

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/CloudFront",
            metric_name=name,
            dimensions_map={
                "DistributionId": self._distribution.distribution_id,
                "Region": "Global",
            },
            statistic=statistic,
            period=Duration.minutes(5),
            region="us-east-1",
        )

    @property
    def distribution(self) -> cloudfront.Distribution:
        return self._distribution

    @property
    def distribution_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="cloudfront",
            region="",
            resource="distribution",
            resource_name=self._distribution.distribution_id,
        )

    @property
    def viewer_request_function(self) -> cloudfront.Function:
        return self._viewer_request

    @property
    def log_bucket(self) -> s3.Bucket:
        return self._log_bucket


class EdgeAlarms(Construct):
    """Alarms on CloudFront's own metrics; they must live in us-east-1, where those are."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        distribution_id: str,
        error_rate_percent: float = 5.0,
    ) -> None:
        super().__init__(scope, construct_id)
        if Stack.of(self).region != "us-east-1":
            raise ValueError("CloudFront metrics exist only in us-east-1; put EdgeAlarms there")
        metric = cloudwatch.Metric(
            namespace="AWS/CloudFront",
            metric_name="5xxErrorRate",
            dimensions_map={"DistributionId": distribution_id, "Region": "Global"},
            statistic="Average",
            period=Duration.minutes(5),
        )
        self._alarm = metric.create_alarm(
            self,
            "ErrorRate5xx",
            threshold=error_rate_percent,
            evaluation_periods=2,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"CloudFront: more than {error_rate_percent:g}% of responses were "
            "5xx for 10 minutes (what viewers saw, edge errors included)",
        )

    @property
    def alarm(self) -> cloudwatch.Alarm:
        return self._alarm
