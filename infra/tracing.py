"""Tracing on AWS: the functions' OpenTelemetry spans reach X-Ray, from isolated subnets.

An environment with ``otel_enabled`` gets (docs/observability.md, "Tracing on AWS"):

- the image built with the OpenTelemetry packages (``WITH_OTEL=true``: `api.infrastructure
  .app_image(with_tracing=True)`), chosen in `infra/stacks.py`;
- an ``xray`` interface endpoint in the app subnets (`Network.add_xray_endpoint`): with private
  DNS, ``xray.<region>.amazonaws.com`` resolves inside the VPC, so the spans need no NAT;
- on each of the app's functions (`Tracing.instrument`): the settings the app reads
  (`courtside.tracing.settings`: X-Ray's OTLP endpoint, SigV4 for the stack's region, the
  service's name), the X-Ray write actions the OTLP endpoint authorizes, nothing to read, and a
  dependency on the endpoint (its first export must find it);
- with ``otel_transaction_search: stack``, CloudWatch Transaction Search turned on for the
  account and region, which X-Ray's OTLP endpoint requires: a CloudWatch Logs resource policy
  letting X-Ray write the spans to ``aws/spans``, then ``AWS::XRay::TransactionSearchConfig``.

The migrator never traces: it gets none of this.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra.nag import acknowledge_all
from infra.network import Network

XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutSpans", "xray:PutSpansForIndexing")
"""What sending spans to X-Ray's OTLP endpoint may be authorized as: AWS documents the endpoint
as authorized as `xray:PutTraceSegments` (X-Ray developer guide, bearer-token authentication)
and names `xray:PutSpans` and `xray:PutSpansForIndexing` (span ingestion and its indexing for
Transaction Search) elsewhere. All three write spans and read nothing; none supports a resource
narrower than "*"."""
INDEXED_PERCENT = 1
"""Share of spans indexed as X-Ray trace summaries (1 %: the free tier); every span is kept in
``aws/spans`` and searchable with Transaction Search regardless."""


def otlp_traces_endpoint(stack: Stack) -> str:
    """X-Ray's OTLP traces endpoint in `stack`'s region (and partition)."""
    return f"https://xray.{stack.region}.{stack.url_suffix}/v1/traces"


class Tracing(Construct):
    """The endpoint, Transaction Search and what each traced function needs (module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, network: Network, transaction_search: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self._endpoint = network.add_xray_endpoint()
        self._transaction_search = self._enable_transaction_search() if transaction_search else None

    def _enable_transaction_search(self) -> xray.CfnTransactionSearchConfig:
        stack = Stack.of(self)
        arn = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group"
        policy = logs.CfnResourcePolicy(
            self,
            "SpansDelivery",
            policy_name="courtside-transaction-search",
            policy_document=stack.to_json_string(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TransactionSearchXRayAccess",
                            "Effect": "Allow",
                            "Principal": {"Service": "xray.amazonaws.com"},
                            "Action": "logs:PutLogEvents",
                            "Resource": [
                                f"{arn}:aws/spans:*",
                                f"{arn}:/aws/application-signals/data:*",
                            ],
                            "Condition": {
                                "ArnLike": {
                                    "aws:SourceArn": f"arn:{stack.partition}:xray:"
                                    f"{stack.region}:{stack.account}:*"
                                },
                                "StringEquals": {"aws:SourceAccount": stack.account},
                            },
                        }
                    ],
                }
            ),
        )
        config = xray.CfnTransactionSearchConfig(
            self, "TransactionSearch", indexing_percentage=INDEXED_PERCENT
        )
        config.node.add_dependency(policy)
        return config

    def environment(self, service_name: str) -> dict[str, str]:
        """The settings a traced function reads (`courtside.tracing.settings`)."""
        stack = Stack.of(self)
        return {
            "OTEL_ENABLED": "true",
            "OTEL_SERVICE_NAME": service_name,
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": otlp_traces_endpoint(stack),
            "OTEL_EXPORTER_SIGV4_REGION": stack.region,
        }

    def instrument(self, function: lambda_.Function) -> None:
        """Let `function` send its spans (its environment comes from `environment`)."""
        function.add_to_role_policy(
            iam.PolicyStatement(actions=list(XRAY_WRITE_ACTIONS), resources=["*"])
        )
        acknowledge_all(
            function,
            {
                "AwsSolutions-IAM5[Resource::*]": "X-Ray's span-writing actions "
                f"({', '.join(XRAY_WRITE_ACTIONS)}) support no resource-level permissions; the "
                "statement grants those three write actions and nothing else.",
            },
        )
        function.node.add_dependency(self._endpoint)
        if self._transaction_search is not None:
            function.node.add_dependency(self._transaction_search)

    @property
    def endpoint(self) -> Construct:
        return self._endpoint
