"""Log retention for the Lambda functions CDK creates for us (custom-resource providers).

`CustomResourceProvider` handlers (the VPC default-security-group restriction, the cross-region
parameter reader for the edge function, `logs.LogRetention`'s own function) are plain
CloudFormation functions with no log settings: Lambda would create ``/aws/lambda/<name>`` on
first use and keep it forever. Each gets a log group of its own with the environment's
retention, through the function's ``LoggingConfig`` (a property override: the provider API has
no log options).

Log groups that an AWS service creates outside the stack (RDS's exports and Enhanced
Monitoring, the rotation functions, Lambda@Edge's replicas) get their retention from
`logs.LogRetention` custom resources instead, whose one function is acknowledged here.
"""

from __future__ import annotations

from aws_cdk import CfnResource, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge_all


def give_provider_functions_log_groups(
    stack: Stack,
    *,
    retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
) -> list[logs.LogGroup]:
    """Point every function in `stack` without a log group at a new one with `retention`.

    L2 functions (`lambda_.Function`) are left alone: the app's functions have explicit log
    groups, and CDK gives the others a managed one. Call once all constructs exist.
    """
    created = []
    for construct in stack.node.find_all():
        if not isinstance(construct, CfnResource) or isinstance(construct, lambda_.CfnFunction):
            continue
        if construct.cfn_resource_type != "AWS::Lambda::Function" or Stack.of(construct) != stack:
            continue
        parent = construct.node.scope
        assert isinstance(parent, Construct)
        group = logs.LogGroup(parent, "Logs", retention=retention, removal_policy=removal_policy)
        construct.add_property_override("LoggingConfig.LogGroup", group.log_group_name)
        created.append(group)
    _acknowledge_log_retention_function(stack)
    return created


LOG_RETENTION_FUNCTION_ID = "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"
"""The construct id of CDK's one `logs.LogRetention` function per stack."""


def _acknowledge_log_retention_function(stack: Stack) -> None:
    function = stack.node.try_find_child(LOG_RETENTION_FUNCTION_ID)
    if function is None:
        return
    acknowledge_all(
        function,
        {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": "CDK's LogRetention function only writes its own "
            "CloudWatch logs with this policy; a hand-written copy would be identical.",
            "AwsSolutions-IAM5[Resource::*]": "CDK's LogRetention function sets retention on log "
            "groups that AWS services create outside the stack (RDS exports, Enhanced "
            "Monitoring, rotation functions, Lambda@Edge replicas in other regions); "
            "logs:PutRetentionPolicy and DeleteRetentionPolicy only, no read or delete.",
        },
    )
