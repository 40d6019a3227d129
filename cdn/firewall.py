"""The web application firewall in front of CloudFront (a CLOUDFRONT-scope web ACL, us-east-1).

Rules, in order:

1. AWS managed **IP reputation** list (known bad sources);
2. AWS managed **common rule set** (OWASP-style), with ``SizeRestrictions_BODY`` only counted:
   it blocks bodies over 8 KB, and ingestion batches are up to 1 MB (the app and the edge signer
   enforce the real limits);
3. AWS managed **known bad inputs** (Log4j-style payloads, exploitable paths);
4. a per-IP **rate limit for sign-in, sign-up and ingestion** (`SENSITIVE_PATHS`), tighter than
5. the per-IP **rate limit for everything**.

Rate-limited requests get 429 in the API's JSON error shape with ``Retry-After``. Blocked and
counted requests are logged (``Authorization`` and ``Cookie`` redacted) to a log group with the
environment's retention; allowed requests are not logged (volume and cost).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

SENSITIVE_PATHS = ("/token", "/login", "/signup", "/v1/ingest/")
"""Path prefixes of the tighter rate limit: where guessing or flooding costs the most."""
WINDOW_SECONDS = 300
RATE_LIMITED_BODY_KEY = "rate_limited"
MANAGED_RULE_GROUPS = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)
"""(rule group, rules only counted rather than blocked)."""

ACL = wafv2.CfnWebACL


def _visibility(name: str) -> ACL.VisibilityConfigProperty:
    return ACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _starts_with(prefix: str) -> ACL.StatementProperty:
    return ACL.StatementProperty(
        byte_match_statement=ACL.ByteMatchStatementProperty(
            field_to_match=ACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=prefix,
            text_transformations=[ACL.TextTransformationProperty(priority=0, type="LOWERCASE")],
        )
    )


class WebFirewall(Construct):
    """A web ACL for a CloudFront distribution, with its log group; CloudFront's are us-east-1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        rate_limit: int,
        sensitive_rate_limit: int,
        log_retention: logs.RetentionDays,
        log_removal_policy: RemovalPolicy,
        sensitive_paths: Sequence[str] = SENSITIVE_PATHS,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        if stack.region != "us-east-1":
            raise ValueError(f"CloudFront web ACLs must be in us-east-1, not {stack.region}")
        rules = [
            self._managed(priority, group, counted)
            for priority, (group, counted) in enumerate(MANAGED_RULE_GROUPS)
        ]
        sensitive = [_starts_with(path) for path in sensitive_paths]
        rules.append(
            self._rate_limit(
                "RateLimitSensitive",
                len(rules),
                sensitive_rate_limit,
                sensitive[0]
                if len(sensitive) == 1
                else ACL.StatementProperty(
                    or_statement=ACL.OrStatementProperty(statements=sensitive)
                ),
            )
        )
        rules.append(self._rate_limit("RateLimitAll", len(rules), rate_limit, None))
        self._acl = ACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=ACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{name}-web-acl"),
            description=f"{name}: managed rules and per-IP rate limits in front of CloudFront",
            rules=rules,
            custom_response_bodies={
                RATE_LIMITED_BODY_KEY: ACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(
                        {
                            "error": {
                                "code": "rate_limited",
                                "message": "Too many requests from this address; retry later.",
                                "details": None,
                            }
                        }
                    ),
                )
            },
        )
        # WAF insists on this prefix for log groups it writes to.
        self._log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"aws-waf-logs-{name}",
            retention=log_retention,
            removal_policy=log_removal_policy,
        )
        self._log_group.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_group.log_group_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="logs", resource="*", arn_format=ArnFormat.NO_RESOURCE_NAME
                        )
                    },
                },
            )
        )
        self._logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self._acl.attr_arn,
            log_destination_configs=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self._log_group.log_group_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in ("authorization", "cookie")
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [
                            {"ActionCondition": {"Action": "BLOCK"}},
                            {"ActionCondition": {"Action": "COUNT"}},
                        ],
                    }
                ],
            },
        )

    @staticmethod
    def _managed(priority: int, group: str, counted: Sequence[str]) -> ACL.RuleProperty:
        return ACL.RuleProperty(
            name=group,
            priority=priority,
            override_action=ACL.OverrideActionProperty(none={}),
            statement=ACL.StatementProperty(
                managed_rule_group_statement=ACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=group,
                    rule_action_overrides=[
                        ACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=ACL.RuleActionProperty(count={})
                        )
                        for rule in counted
                    ]
                    or None,
                )
            ),
            visibility_config=_visibility(group),
        )

    @staticmethod
    def _rate_limit(
        name: str, priority: int, limit: int, scope_down: ACL.StatementProperty | None
    ) -> ACL.RuleProperty:
        return ACL.RuleProperty(
            name=name,
            priority=priority,
            action=ACL.RuleActionProperty(
                block=ACL.BlockActionProperty(
                    custom_response=ACL.CustomResponseProperty(
                        response_code=429,
                        custom_response_body_key=RATE_LIMITED_BODY_KEY,
                        response_headers=[
                            ACL.CustomHTTPHeaderProperty(
                                name="Retry-After", value=str(WINDOW_SECONDS)
                            )
                        ],
                    )
                )
            ),
            statement=ACL.StatementProperty(
                rate_based_statement=ACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=limit,
                    evaluation_window_sec=WINDOW_SECONDS,
                    scope_down_statement=scope_down,
                )
            ),
            visibility_config=_visibility(name),
        )

    @property
    def web_acl_arn(self) -> str:
        return self._acl.attr_arn

    @property
    def web_acl(self) -> wafv2.CfnWebACL:
        return self._acl

    @property
    def log_group(self) -> logs.ILogGroup:
        return self._log_group
