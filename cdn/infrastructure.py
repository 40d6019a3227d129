"""CloudFront in front of the Lambda Function URL, with its certificate and DNS records.

Origin protection (see the README, "Why Origin Access Control"): the Function URL requires
IAM auth and CloudFront signs every origin request with Origin Access Control. Three traps
of that setup are handled here:

* Lambda demands ``x-amz-content-sha256`` on requests with a body: a Lambda@Edge origin-request
  function (``cdn/edge/sign_payload.py``, body included) adds it.
* OAC overwrites the viewer's ``Authorization`` header with its signature, and the Function URL
  must not receive the public ``Host``: a viewer-request CloudFront Function copies both into
  ``X-Forwarded-Authorization`` / ``X-Forwarded-Host``; dynamic routes forward all viewer headers
  except ``Host``.
* Function URLs need both ``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` for the
  CloudFront principal (aws/aws-cdk#35872). The pinned aws-cdk-lib grants both, scoped to this
  distribution; the tests fail if an upgrade drops either.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
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
# CloudFront hands Lambda@Edge at most 1 MB of body (``include_body``); longer bodies arrive
# truncated and the signer answers 413. The app's own limits (MAX_BODY_BYTES,
# INGEST_MAX_BODY_BYTES) are set to this, slightly below the cap, so it advertises and enforces
# what actually gets through the CDN.
EDGE_MAX_BODY_BYTES = 1_000_000
PUBLIC_API_PATH = "/v1/*"
STATIC_PATH = "/static/*"


class SiteCertificate(Construct):
    """A DNS-validated ACM certificate; CloudFront needs it in us-east-1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        if region != "us-east-1":
            raise ValueError(f"CloudFront certificates must be in us-east-1, not {region}")
        self._certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain_name,
            validation=acm.CertificateValidation.from_dns(hosted_zone),
        )

    @property
    def certificate(self) -> acm.ICertificate:
        return self._certificate


class Cdn(Construct):
    """The public entry point: CloudFront with a custom domain over the API's Function URL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        function_url: lambda_.IFunctionUrl,
        domain_name: str,
        hosted_zone: route53.IHostedZone,
        certificate: acm.ICertificate,
        price_class: cloudfront.PriceClass,
        log_retention: Duration,
        edge_log_retention_days: int,
        edge_log_removal_policy: RemovalPolicy,
        origin_read_timeout: Duration = Duration.seconds(30),
    ) -> None:
        super().__init__(scope, construct_id)
        self._sign_payload = experimental.EdgeFunction(
            self,
            "SignPayload",
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="sign_payload.handler",
            code=lambda_.Code.from_asset(
                str(EDGE_DIRECTORY), exclude=["*.js", "__init__.py", "__pycache__"]
            ),
            memory_size=128,
            timeout=Duration.seconds(5),
            description="Courtside: x-amz-content-sha256 for OAC-signed origin requests",
        )
        acknowledge_lambda_managed_policies(self._sign_payload.lambda_, in_vpc=False)
        self._retain_edge_logs(edge_log_retention_days, edge_log_removal_policy)
        acknowledge_all(
            self._sign_payload.lambda_,
            {
                "AwsSolutions-L1": "Pinned to python3.13, the newest Python runtime in "
                "CloudFront's list of Lambda@Edge runtimes (edge support lags the regional "
                "runtimes); raise it when that list does.",
            },
        )
        self._viewer_request = cloudfront.Function(
            self,
            "ViewerRequest",
            code=cloudfront.FunctionCode.from_file(file_path=str(VIEWER_REQUEST_FILE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Copy Host and Authorization into X-Forwarded-* for the app",
        )
        origin = origins.FunctionUrlOrigin.with_origin_access_control(
            function_url,
            origin_access_control=cloudfront.FunctionUrlOriginAccessControl(
                self, "OriginAccessControl", signing=cloudfront.Signing.SIGV4_ALWAYS
            ),
            read_timeout=origin_read_timeout,
        )
        headers = self._security_headers()

        def dynamic(
            cache_policy: cloudfront.ICachePolicy,
            viewer_protocol: cloudfront.ViewerProtocolPolicy,
        ) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
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
                        function_version=self._sign_payload.current_version,
                        event_type=cloudfront.LambdaEdgeEventType.ORIGIN_REQUEST,
                        include_body=True,
                    )
                ],
            )

        https_only = cloudfront.ViewerProtocolPolicy.HTTPS_ONLY
        private = dynamic(cloudfront.CachePolicy.CACHING_DISABLED, https_only)
        behaviors: dict[str, cloudfront.BehaviorOptions] = {
            STATIC_PATH: cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=https_only,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=self._static_cache_policy(),
                response_headers_policy=headers,
                compress=True,
            ),
            **{path: private for path in PRIVATE_PATHS},
            PUBLIC_API_PATH: dynamic(self._public_api_cache_policy(), https_only),
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
                cloudfront.CachePolicy.CACHING_DISABLED,
                cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            ),
            additional_behaviors=behaviors,
            domain_names=[domain_name],
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            ssl_support_method=cloudfront.SSLMethod.SNI,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=price_class,
            enable_logging=True,
            log_bucket=self._log_bucket,
            log_file_prefix="cloudfront/",
        )
        acknowledge_all(
            self._distribution,
            {
                "AwsSolutions-CFR1": "No geo restriction: the API and site serve a worldwide "
                "audience and there is no legal requirement to block countries.",
                "AwsSolutions-CFR2": "No WAF web ACL yet: abuse is bounded by the app's Redis "
                "rate limits and the function's reserved concurrency; a WAF (>= $5/month plus "
                "rules) is the next step if traffic warrants it.",
            },
        )
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

    def _retain_edge_logs(self, retention_days: int, removal: RemovalPolicy) -> None:
        """The environment's retention on the edge function's own log group (us-east-1).

        CDK creates ``/aws/lambda/<name>`` for the function (not through ``LoggingConfig``,
        which Lambda@Edge replicas would not honour) and gives it no retention setting of ours;
        it is set here. The replicas' groups (``/aws/lambda/us-east-1.<name>`` in each region
        where an edge location ran the function) are created by Lambda@Edge, outside any stack.
        """
        group = self._sign_payload.lambda_.node.find_child("LogGroup")
        assert isinstance(group, logs.LogGroup)
        cfn = group.node.default_child
        assert isinstance(cfn, logs.CfnLogGroup)
        cfn.retention_in_days = retention_days
        group.apply_removal_policy(removal)

    def _public_api_cache_policy(self) -> cloudfront.CachePolicy:
        """Public GET /v1 data: the origin's Cache-Control decides (default 0 = not cached)."""
        return cloudfront.CachePolicy(
            self,
            "PublicApiCache",
            comment="Courtside public /v1 data: honour origin Cache-Control, key on query string",
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(1),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )

    def _static_cache_policy(self) -> cloudfront.CachePolicy:
        return cloudfront.CachePolicy(
            self,
            "StaticCache",
            comment="Courtside /static: cached a day unless the origin says otherwise",
            default_ttl=Duration.days(1),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(365),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
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

    @property
    def distribution(self) -> cloudfront.Distribution:
        return self._distribution

    @property
    def edge_function(self) -> experimental.EdgeFunction:
        return self._sign_payload

    @property
    def viewer_request_function(self) -> cloudfront.Function:
        return self._viewer_request

    @property
    def log_bucket(self) -> s3.Bucket:
        return self._log_bucket
