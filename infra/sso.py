"""Sign-in with an OpenID Connect provider on AWS (the app side: api/courtside/web/sso_pages.py).

An environment's optional ``sso`` object in cdk.json chooses the provider:

- ``"provider": "cognito"``: a Cognito user pool of the environment's own (no self sign-up:
  the organisation adds its people; MFA required), its hosted domain
  (``<cognito_domain_prefix>.auth.<region>.amazoncognito.com``), an app client with a secret
  whose only callback is ``https://<domain_name>/login/sso/callback``, and a group whose
  members become Admins (the ID token's ``cognito:groups``). The client secret is copied into
  a Secrets Manager secret the functions read like their other secrets.
- ``"provider": "issuer"``: any OpenID Connect provider by its issuer URL and client id; the
  stack makes an empty-valued secret for the client secret, which the operator fills once
  (docs/deploy.md, "Sign-in with an identity provider").

Either way the functions that sign people in get the ``OIDC_*`` settings, and the app tier
needs a way out to the provider (discovery, keys, the code exchange): `Network` then adds
one NAT gateway, named for this (docs/deploy.md says what it costs).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.custom_resources import AwsCustomResource
from constructs import Construct

from infra.nag import acknowledge_all, acknowledge_lambda_managed_policies
from infra.sso_config import SsoConfig

CALLBACK_PATH = "/login/sso/callback"
COGNITO_GROUPS_CLAIM = "cognito:groups"


class SingleSignOn(Construct):
    """The provider (a Cognito user pool, or none of ours), the client secret, and the app's
    settings for it (`environment`, `client_secret`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: SsoConfig,
        public_base_url: str,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool: cognito.UserPool | None = None
        self.client: cognito.UserPoolClient | None = None
        settings = {
            "OIDC_BUTTON_LABEL": config.button_label,
            "OIDC_ADMIN_PASSWORD_LOGIN": "true" if config.admin_password_login else "false",
            "OIDC_SCOPES": "openid email profile",
        }
        if config.provider == "cognito":
            pool, client = self._cognito(config, public_base_url, removal_policy)
            self.user_pool, self.client = pool, client
            settings.update(
                OIDC_ISSUER=pool.user_pool_provider_url, OIDC_CLIENT_ID=client.user_pool_client_id
            )
            if config.admin_group:
                settings.update(
                    OIDC_ADMIN_CLAIM=COGNITO_GROUPS_CLAIM, OIDC_ADMIN_VALUE=config.admin_group
                )
            self.client_secret = secretsmanager.Secret(
                self,
                "ClientSecret",
                description="Courtside: the Cognito app client's secret (copied by the stack)",
                secret_string_value=client.user_pool_client_secret,
                removal_policy=removal_policy,
            )
        else:
            settings.update(OIDC_ISSUER=config.issuer_url, OIDC_CLIENT_ID=config.client_id)
            if config.admin_claim:
                settings.update(
                    OIDC_ADMIN_CLAIM=config.admin_claim, OIDC_ADMIN_VALUE=config.admin_group
                )
            self.client_secret = secretsmanager.Secret(
                self,
                "ClientSecret",
                description="Courtside: the OpenID Connect client secret; put the provider's "
                "value here (docs/deploy.md)",
                removal_policy=removal_policy,
            )
        if self.client is not None:
            # Reading the app client's secret is a CDK custom resource (one singleton
            # function per stack, calling cognito-idp:DescribeUserPoolClient on this pool).
            singleton = "AWS" + AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
            reader = Stack.of(self).node.try_find_child(singleton)
            if reader is not None:
                acknowledge_lambda_managed_policies(reader, in_vpc=False)
        acknowledge_all(
            self.client_secret,
            {
                "AwsSolutions-SMG4": "The client secret is the identity provider's: it is "
                "rotated there (a new app client secret), then copied here.",
            },
        )
        settings["OIDC_CLIENT_SECRET_ARN"] = self.client_secret.secret_arn
        self.environment: dict[str, str] = settings

    def _cognito(
        self, config: SsoConfig, public_base_url: str, removal_policy: RemovalPolicy
    ) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=removal_policy,
        )
        acknowledge_all(
            pool,
            {
                "AwsSolutions-COG3": "Threat protection needs the Plus feature plan (billed per "
                "monthly active user); the pool has no self sign-up, MFA is required, and the "
                "app limits its own sign-ins. Turn it on per environment if the cost fits.",
                "AwsSolutions-COG8": "The Essentials plan: Plus (threat protection) is billed "
                "per monthly active user, for a pool without self sign-up and with MFA required.",
            },
        )
        pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=config.cognito_domain_prefix),
        )
        client = pool.add_client(
            "AppClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(user_srp=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[public_base_url.rstrip("/") + CALLBACK_PATH],
                logout_urls=[public_base_url.rstrip("/") + "/login"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
        )
        if config.admin_group:
            cognito.CfnUserPoolGroup(
                self,
                "AdminGroup",
                user_pool_id=pool.user_pool_id,
                group_name=config.admin_group,
                description="Members sign in to Courtside as Admins",
            )
        return pool, client
