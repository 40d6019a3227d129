"""Outside ENVIRONMENT=local the app refuses to start with a default, short or missing secret."""

import pytest

from courtside.auth import config
from courtside.auth.config import InsecureConfiguration
from courtside.main import create_app
from courtside.settings import DEV_JWT_SECRET

REAL = "k3Jq9vQ0pX7sL2mN8bR4tY6wZ1aC5dE0fG"


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
@pytest.mark.parametrize("secret", [None, "", DEV_JWT_SECRET, "too-short-secret"])
def test_refuses_to_start(settings_env, environment, secret):
    values = {"ENVIRONMENT": environment}
    if secret is not None:
        values["JWT_SECRET"] = secret
    settings_env(**values)
    with pytest.raises(InsecureConfiguration, match="JWT_SECRET"):
        create_app()


def test_starts_with_a_real_secret(settings_env):
    settings_env(ENVIRONMENT="prod", JWT_SECRET=REAL)
    app = create_app()
    assert app.title == "Courtside"
    assert config.jwt_secret() == REAL


def test_starts_with_a_secret_arn_without_fetching_it(settings_env, monkeypatch):
    from courtside import aws_secrets

    calls = []

    def fake_secret_string(arn, *args, **kwargs):
        calls.append(arn)
        return REAL

    monkeypatch.setattr(aws_secrets, "secret_string", fake_secret_string)
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:courtside/jwt-AbCdEf"
    settings_env(ENVIRONMENT="prod", JWT_SECRET_ARN=arn, JWT_SECRET="")
    create_app()
    assert calls == []  # building the app touches no secret (cold start)
    assert config.jwt_secret() == REAL
    assert calls == [arn]


def test_weak_secret_behind_an_arn_is_refused_on_use(settings_env, monkeypatch):
    from courtside import aws_secrets

    monkeypatch.setattr(aws_secrets, "secret_string", lambda arn, *a, **k: "short")
    settings_env(ENVIRONMENT="prod", JWT_SECRET_ARN="arn:aws:secretsmanager:x", JWT_SECRET="")
    with pytest.raises(InsecureConfiguration):
        config.jwt_secret()


def test_local_uses_the_dev_default(settings_env):
    settings_env(ENVIRONMENT="local")
    create_app()
    assert config.jwt_secret() == DEV_JWT_SECRET


def test_tokens_signed_with_the_dev_secret_fail_in_prod(settings_env):
    from courtside.auth.tokens import InvalidToken, decode_token, issue_token

    local_token = issue_token(user_id=1, role="Admin", token_version=0).token
    settings_env(ENVIRONMENT="prod", JWT_SECRET=REAL)
    with pytest.raises(InvalidToken):
        decode_token(local_token)
