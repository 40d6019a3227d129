"""Log retention for the Lambda functions CDK creates for us (custom-resource providers).

`CustomResourceProvider` handlers (the VPC default-security-group restriction, the migration
trigger, the cross-region parameter reader for the edge function) are plain CloudFormation
functions with no log settings: Lambda would create ``/aws/lambda/<name>`` on first use and keep
it forever. Each gets a log group of its own with the environment's retention, through the
function's ``LoggingConfig`` (a property override: the provider API has no log options).
"""

from __future__ import annotations

from aws_cdk import CfnResource, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct


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
    return created
