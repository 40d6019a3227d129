"""Where alarms go: an encrypted SNS topic per environment and region, and who hears of them."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

CLOUDWATCH = "cloudwatch.amazonaws.com"


class AlarmTopic(Construct):
    """An SNS topic for CloudWatch alarms, encrypted with its own KMS key and HTTPS-only.

    The key is customer-managed because CloudWatch cannot publish to a topic encrypted with the
    AWS-managed ``alias/aws/sns`` key (its key policy cannot be changed to admit CloudWatch).
    The topic policy denies any request not made over TLS (cdk-nag SNS3) and lets CloudWatch
    alarms of this account publish. `email`, when not empty, is subscribed (the address must
    confirm the subscription once); every alarm also notifies the `existing_topic_arns` (topics
    of this region owned elsewhere, e.g. an on-call integration).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        display_name: str,
        email: str,
        removal_policy: RemovalPolicy,
        existing_topic_arns: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._key = kms.Key(
            self,
            "Key",
            description=f"{display_name}: encrypts the alarm topic",
            enable_key_rotation=True,
            pending_window=Duration.days(7),
            removal_policy=removal_policy,
        )
        # Key policies name the key itself as "*"; CloudWatch needs these two to publish.
        self._key.grant(iam.ServicePrincipal(CLOUDWATCH), "kms:Decrypt", "kms:GenerateDataKey*")
        self._topic = sns.Topic(
            self,
            "Topic",
            display_name=display_name,
            master_key=self._key,
            enforce_ssl=True,
        )
        self._topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self._topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        if email:
            self._topic.add_subscription(subscriptions.EmailSubscription(email))
        self._targets: list[sns.ITopic] = [self._topic] + [
            sns.Topic.from_topic_arn(self, f"Existing{index}", arn)
            for index, arn in enumerate(existing_topic_arns)
        ]

    def notify_on_every_alarm(self, scope: IConstruct) -> list[cloudwatch.Alarm]:
        """Send every alarm below `scope` (ALARM and back to OK) to the topics; return them."""
        actions = [cloudwatch_actions.SnsAction(topic) for topic in self._targets]
        alarms = [c for c in scope.node.find_all() if isinstance(c, cloudwatch.Alarm)]
        for alarm in alarms:
            alarm.add_alarm_action(*actions)
            alarm.add_ok_action(*actions)
        return alarms

    @property
    def topic(self) -> sns.ITopic:
        return self._topic

    @property
    def key(self) -> kms.IKey:
        return self._key
