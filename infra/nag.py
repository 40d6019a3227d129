"""cdk-nag helpers: every acknowledgement carries its own written reason."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions"
LAMBDA_BASIC = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LAMBDA_VPC = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


def rule_id(rule: str) -> str:
    """cdk-nag 3.x acknowledgement ids are ``<pack>::<rule>[<finding>]``."""
    return rule if "::" in rule.split("[", 1)[0] else f"{PACK}::{rule}"


def acknowledge_all(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag findings on `construct` (and its children), each with its reason."""
    for rule, reason in reasons.items():
        Validations.of(construct).acknowledge(Acknowledgment(id=rule_id(rule), reason=reason))


def acknowledge_lambda_managed_policies(function: IConstruct, *, in_vpc: bool) -> None:
    """The Lambda L2 attaches AWS's execution-role policies; see the reasons."""
    reasons = {
        f"AwsSolutions-IAM4[Policy::{LAMBDA_BASIC}]": "AWSLambdaBasicExecutionRole only allows "
        "writing this function's CloudWatch logs; a hand-written copy would be identical.",
    }
    if in_vpc:
        reasons[f"AwsSolutions-IAM4[Policy::{LAMBDA_VPC}]"] = (
            "AWSLambdaVPCAccessExecutionRole is what Lambda needs to manage the function's ENIs; "
            "those EC2 actions do not support resource-level permissions."
        )
    acknowledge_all(function, reasons)


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of `construct`'s resource, as cdk-nag names it in findings
    (``<LogicalId.Arn>``): acknowledgements then follow a construct, not a hard-coded hash."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    assert isinstance(element, CfnElement), construct.node.path
    stack = Stack.of(element)
    return str(stack.resolve(stack.get_logical_id(element)))
