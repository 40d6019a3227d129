"""Amazon SES for the notification e-mails the app sends after bets settle (off by default).

An environment with ``ses_enabled`` gets a domain identity for the From address's domain, signed
with Easy DKIM (its three CNAME records in the environment's hosted zone), optionally a
configuration set (reputation metrics, bounces and complaints suppressed), and the settings and
permission for the functions that send: ``ses:SendEmail`` on this identity (and the
configuration set) only, and only with the configured From address (``ses:FromAddress``).
The functions reach the SES API through an interface endpoint (`Network.add_ses_endpoint`):
the subnets have no route out.

A new identity starts in SES's sandbox (only verified recipients); asking AWS for production
access is a step of its own (docs/deploy.md).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_ses as ses
from constructs import Construct

DKIM_RECORD_TTL_SECONDS = "1800"


class EmailSending(Construct):
    """An SES identity for `from_address`'s domain, its DKIM records, and what senders need."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        from_address: str,
        hosted_zone: route53.IHostedZone,
        configuration_set: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self._from_address = from_address
        self._domain = from_address.rpartition("@")[2]
        self._configuration_set = (
            ses.ConfigurationSet(
                self,
                "ConfigurationSet",
                reputation_metrics=True,
                sending_enabled=True,
                suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            )
            if configuration_set
            else None
        )
        self._identity = ses.EmailIdentity(
            self,
            "Identity",
            identity=ses.Identity.domain(self._domain),
            dkim_signing=True,
            configuration_set=self._configuration_set,
        )
        # Easy DKIM's three selectors, as CNAMEs in our zone (`Identity.public_hosted_zone` does
        # this only for an identity that is the zone's apex; this one may be a subdomain).
        for n, (name, value) in enumerate(
            (
                (self._identity.dkim_dns_token_name1, self._identity.dkim_dns_token_value1),
                (self._identity.dkim_dns_token_name2, self._identity.dkim_dns_token_value2),
                (self._identity.dkim_dns_token_name3, self._identity.dkim_dns_token_value3),
            ),
            start=1,
        ):
            route53.CfnRecordSet(
                self,
                f"Dkim{n}",
                hosted_zone_id=hosted_zone.hosted_zone_id,
                name=name,
                type="CNAME",
                resource_records=[value],
                ttl=DKIM_RECORD_TTL_SECONDS,
            )

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """``ses:SendEmail`` on this identity (and its configuration set), from the From address
        only."""
        resources = [self.identity_arn]
        if self._configuration_set is not None:
            resources.append(self.configuration_set_arn)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=resources,
                conditions={"StringEquals": {"ses:FromAddress": self._from_address}},
            )
        )

    @property
    def environment(self) -> dict[str, str]:
        """The app's e-mail settings (`NotificationSettings`) for a function that sends."""
        settings = {
            "EMAIL_BACKEND": "ses",
            "EMAIL_FROM": self._from_address,
            "SES_REGION": Stack.of(self).region,
        }
        if self._configuration_set is not None:
            settings["SES_CONFIGURATION_SET"] = self._configuration_set.configuration_set_name
        return settings

    @property
    def identity_arn(self) -> str:
        return self._identity.email_identity_arn

    @property
    def configuration_set_arn(self) -> str:
        assert self._configuration_set is not None
        return Stack.of(self).format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self._configuration_set.configuration_set_name,
        )

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def identity(self) -> ses.EmailIdentity:
        return self._identity

    @property
    def configuration_set(self) -> ses.ConfigurationSet | None:
        return self._configuration_set
