"""Sign-in with an OpenID Connect provider on AWS (infra/sso.py): a Cognito user pool of the
environment's own, or any issuer by URL. Both variants are synthesized with cdk-nag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.config import CONTEXT_KEY, ConfigError, load_config

from .cfn_lint import CFN_LINT_CONFIG
from .conftest import Synth, read_cli_context

CALLBACK = "https://api.dev.example.com/login/sso/callback"
ISSUER = "https://login.example.org/realms/staff"


@pytest.fixture(scope="module")
def sso_variants(synthesize_env) -> dict[str, Synth]:
    """dev (all-in-one) with a Cognito pool; prod (split) with an issuer by URL."""
    context = read_cli_context()
    environments = context[CONTEXT_KEY]
    environments["dev"]["sso"] = {
        "provider": "cognito",
        "cognito_domain_prefix": "courtside-dev",
        "admin_group": "courtside-admins",
        "button_label": "Courtside staff",
        "admin_password_login": False,
    }
    environments["prod"]["sso"] = {
        "provider": "issuer",
        "issuer_url": ISSUER,
        "client_id": "courtside-prod",
        "admin_claim": "groups",
        "admin_group": "courtside-admins",
        "button_label": "Example Org",
    }
    return {
        "cognito": synthesize_env("dev", context, nag=True),
        "issuer": synthesize_env("prod", context, nag=True),
    }


def _env_of(synth: Synth, name: str) -> list[dict[str, Any]]:
    """The environment variables of every function of the app that has `name`."""
    found = []
    for resource in synth.resources("AWS::Lambda::Function").values():
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if name in variables:
            found.append(variables)
    return found


def test_both_variants_pass_cdk_nag(sso_variants):
    for synth in sso_variants.values():
        report = json.loads((synth.outdir / "validation-report.json").read_text())
        (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
        assert plugin["conclusion"] == "success", plugin["violations"]


def test_cognito_pool_client_domain_and_admin_group(sso_variants):
    template = sso_variants["cognito"].main
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "MfaConfiguration": "ON",
            "UsernameAttributes": ["email"],
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": Match.array_with(["openid", "email"]),
            "CallbackURLs": [CALLBACK],
            "SupportedIdentityProviders": ["COGNITO"],
        },
    )
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "courtside-dev"})
    template.has_resource_properties(
        "AWS::Cognito::UserPoolGroup", {"GroupName": "courtside-admins"}
    )


def test_the_app_gets_the_settings_and_only_reads_its_secret(sso_variants):
    for kind, synth in sso_variants.items():
        functions = _env_of(synth, "OIDC_ISSUER")
        assert functions, kind
        for variables in functions:
            assert "JWT_SECRET_ARN" in variables  # only the functions that sign people in
            assert "OIDC_CLIENT_SECRET" not in variables  # never the secret itself
            assert variables["OIDC_CLIENT_SECRET_ARN"]
        secrets = synth.resources("AWS::SecretsManager::Secret")
        client_secret = [
            name
            for name, r in secrets.items()
            if "OpenID" in r["Properties"].get("Description", "")
            or "Cognito" in r["Properties"].get("Description", "")
        ]
        assert len(client_secret) == 1, kind
        synth.main.has_output("OidcClientSecretArn", {"Value": {"Ref": client_secret[0]}})
        synth.main.has_resource_properties(
            "AWS::IAM::Policy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Action": Match.array_with(["secretsmanager:GetSecretValue"]),
                                    "Resource": Match.array_with([{"Ref": client_secret[0]}]),
                                }
                            )
                        ]
                    )
                }
            },
        )


def test_cognito_settings_name_the_pool_and_its_group(sso_variants):
    (variables,) = _env_of(sso_variants["cognito"], "OIDC_ISSUER")
    assert variables["OIDC_ADMIN_CLAIM"] == "cognito:groups"
    assert variables["OIDC_ADMIN_VALUE"] == "courtside-admins"
    assert variables["OIDC_ADMIN_PASSWORD_LOGIN"] == "false"
    assert variables["OIDC_BUTTON_LABEL"] == "Courtside staff"
    assert "Fn::GetAtt" in variables["OIDC_ISSUER"] or "Fn::Join" in variables["OIDC_ISSUER"]


def test_an_issuer_by_url_needs_no_pool(sso_variants):
    synth = sso_variants["issuer"]
    synth.main.resource_count_is("AWS::Cognito::UserPool", 0)
    for variables in _env_of(synth, "OIDC_ISSUER"):
        assert variables["OIDC_ISSUER"] == ISSUER
        assert variables["OIDC_CLIENT_ID"] == "courtside-prod"
        assert variables["OIDC_ADMIN_CLAIM"] == "groups"
    web = [v for v in _env_of(synth, "JWT_SECRET_ARN")]
    assert len(web) == len(_env_of(synth, "OIDC_ISSUER"))  # the functions that sign people in


def test_sso_adds_one_nat_gateway_for_the_app_tier_only(sso_variants, synths):
    for synth in sso_variants.values():
        synth.main.resource_count_is("AWS::EC2::NatGateway", 1)
    for synth in synths.values():  # the committed environments: no SSO, no way out
        synth.main.resource_count_is("AWS::EC2::NatGateway", 0)
        synth.main.resource_count_is("AWS::Cognito::UserPool", 0)
        assert _env_of(synth, "OIDC_ISSUER") == []


@pytest.mark.parametrize(
    ("sso", "message"),
    [
        ({"provider": "cognito", "button_label": "x"}, "cognito_domain_prefix"),
        ({"provider": "issuer", "button_label": "x", "client_id": "c"}, "issuer_url"),
        (
            {
                "provider": "issuer",
                "button_label": "x",
                "issuer_url": "http://idp",
                "client_id": "c",
            },
            "issuer_url",
        ),
        ({"provider": "saml", "button_label": "x"}, "sso.provider"),
        (
            {"provider": "cognito", "button_label": "x", "cognito_domain_prefix": "a", "x": 1},
            "unknown key",
        ),
    ],
)
def test_a_bad_sso_object_is_refused_with_its_key(sso, message):
    context = read_cli_context()
    context[CONTEXT_KEY]["dev"]["sso"] = sso
    with pytest.raises(ConfigError, match=message):
        load_config(context, "dev")


def test_both_variants_pass_cfn_lint(sso_variants, cfn_lint):
    """The main templates, where everything SSO adds lives."""
    templates = [
        str(synth.outdir / f"{synth.deployment.main.artifact_id}.template.json")
        for synth in sso_variants.values()
    ]
    result = cfn_lint("--config-file", str(CFN_LINT_CONFIG), "--format", "json", "--", *templates)
    assert result.returncode == 0, result.stdout or result.stderr
    assert json.loads(result.stdout or "[]") == []
