"""The web application firewall in front of CloudFront (a CLOUDFRONT-scope web ACL, us-east-1).

Rules, in order:

1. AWS managed **IP reputation** list (known bad sources);
2. AWS managed **common rule set** (OWASP-style), with the rules that misfire on this API's
   legitimate traffic (`SCOPED_RULES`) only counted there...
3. ...and enforced by a rule of ours (``CommonRuleSetScoped``) that matches their labels
   everywhere except where they misfire: bodies over 8 KB and a missing ``User-Agent`` on
   ``/v1/ingest/`` (authenticated machine clients sending batches up to 1 MB; the app and the
   edge signer enforce the real limits), and cross-site-scripting patterns in ingestion JSON
   and in form posts (passwords and free text; the pages escape what they render);
4. AWS managed **known bad inputs** (Log4j-style payloads, exploitable paths);
5. a per-IP **rate limit for sign-in, sign-up and ingestion** (`SENSITIVE_PATHS`), tighter than
6. the per-IP **rate limit for everything**.

`mode` (``waf_mode``): in ``count`` the managed groups and rule 3 only count — every request
they would have blocked is logged with the rule that matched — so a new environment runs a
week on real traffic before ``block``; the rate limits block in both modes.

Rate-limited requests get 429 in the API's JSON error shape with ``Retry-After``. Blocked and
counted requests are logged (``Authorization`` and ``Cookie`` redacted) to a log group with the
environment's retention; allowed requests are not logged (volume and cost). The group's name
ends with a part of the stack's id (WAF requires the ``aws-waf-logs-`` prefix, so it cannot be
left to CloudFormation): a group retained from a failed first attempt never blocks the next.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import ArnFormat, Aws, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

SENSITIVE_PATHS = ("/token", "/login", "/signup", "/v1/ingest/")
"""Path prefixes of the tighter rate limit: where guessing or flooding costs the most."""
WINDOW_SECONDS = 300
RATE_LIMITED_BODY_KEY = "rate_limited"
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    COMMON_RULE_SET,
    "AWSManagedRulesKnownBadInputsRuleSet",
)
CRS_LABEL_PREFIX = "awswaf:managed:aws:core-rule-set:"
INGEST_PREFIX = "/v1/ingest/"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LOG_GROUP_PREFIX = "aws-waf-logs-"
"""WAF writes only to log groups whose name starts with this."""

WafMode = Literal["count", "block"]
Exemption = Literal["ingest", "form-post"]


@dataclass(frozen=True)
class ScopedRule:
    """A common-rule-set rule counted in the group and enforced by our label rule elsewhere."""

    label: str
    """Its label (without `CRS_LABEL_PREFIX`): AWS's documented one, not the rule's name."""
    exempt: tuple[Exemption, ...]


SCOPED_RULES: Mapping[str, ScopedRule] = {
    "SizeRestrictions_BODY": ScopedRule("SizeRestrictions_Body", ("ingest",)),
    "CrossSiteScripting_BODY": ScopedRule("CrossSiteScripting_Body", ("ingest", "form-post")),
    "NoUserAgent_HEADER": ScopedRule("NoUserAgent_Header", ("ingest",)),
}

ACL = wafv2.CfnWebACL


def _visibility(name: str) -> ACL.VisibilityConfigProperty:
    return ACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _starts_with(
    prefix: str, field: ACL.FieldToMatchProperty | None = None
) -> ACL.StatementProperty:
    return ACL.StatementProperty(
        byte_match_statement=ACL.ByteMatchStatementProperty(
            field_to_match=field or ACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=prefix,
            text_transformations=[ACL.TextTransformationProperty(priority=0, type="LOWERCASE")],
        )
    )


def _any(statements: Sequence[ACL.StatementProperty]) -> ACL.StatementProperty:
    if len(statements) == 1:
        return statements[0]
    return ACL.StatementProperty(or_statement=ACL.OrStatementProperty(statements=statements))


def _exemption(exemption: Exemption) -> list[ACL.StatementProperty]:
    if exemption == "ingest":
        return [_starts_with(INGEST_PREFIX)]
    content_type = ACL.FieldToMatchProperty(single_header={"Name": "content-type"})
    return [_starts_with(kind, content_type) for kind in FORM_CONTENT_TYPES]


def _scoped(rule: ScopedRule) -> ACL.StatementProperty:
    """The rule's label, outside the places it is exempt from."""
    label = ACL.StatementProperty(
        label_match_statement=ACL.LabelMatchStatementProperty(
            scope="LABEL", key=CRS_LABEL_PREFIX + rule.label
        )
    )
    outside = ACL.StatementProperty(
        not_statement=ACL.NotStatementProperty(
            statement=_any([match for e in rule.exempt for match in _exemption(e)])
        )
    )
    return ACL.StatementProperty(
        and_statement=ACL.AndStatementProperty(statements=[label, outside])
    )


def _action(mode: WafMode) -> ACL.RuleActionProperty:
    return ACL.RuleActionProperty(
        block=ACL.BlockActionProperty() if mode == "block" else None,
        count=ACL.CountActionProperty() if mode == "count" else None,
    )


class WebFirewall(Construct):
    """A web ACL for a CloudFront distribution, with its log group; CloudFront's are us-east-1."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        mode: WafMode,
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
        rules: list[ACL.RuleProperty] = []
        for group in MANAGED_RULE_GROUPS:
            counted = tuple(SCOPED_RULES) if group == COMMON_RULE_SET else ()
            rules.append(self._managed(len(rules), group, counted, mode))
            if group == COMMON_RULE_SET:
                rules.append(
                    ACL.RuleProperty(
                        name="CommonRuleSetScoped",
                        priority=len(rules),
                        action=_action(mode),
                        statement=_any([_scoped(rule) for rule in SCOPED_RULES.values()]),
                        visibility_config=_visibility("CommonRuleSetScoped"),
                    )
                )
        rules.append(
            self._rate_limit(
                "RateLimitSensitive",
                len(rules),
                sensitive_rate_limit,
                _any([_starts_with(path) for path in sensitive_paths]),
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
        # WAF insists on the prefix; the stack id's first part keeps a retained group of an
        # earlier attempt (a failed first deploy, a deleted stack) from blocking this one.
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        self._log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=Fn.join(
                "", [f"{LOG_GROUP_PREFIX}{name}-", Fn.select(0, Fn.split("-", stack_uuid))]
            ),
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
    def _managed(
        priority: int, group: str, counted: Sequence[str], mode: WafMode
    ) -> ACL.RuleProperty:
        return ACL.RuleProperty(
            name=group,
            priority=priority,
            override_action=(
                ACL.OverrideActionProperty(none={})
                if mode == "block"
                else ACL.OverrideActionProperty(count={})
            ),
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
