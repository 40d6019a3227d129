"""The environment config: validated from CDK context with errors that name the bad key."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from infra.config import (
    CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS,
    CONTEXT_KEY,
    ConfigError,
    EnvironmentConfig,
    load_config,
)


@pytest.fixture
def context(cli_context: dict[str, Any]) -> dict[str, Any]:
    """A private copy of the committed environments, safe to break."""
    return {CONTEXT_KEY: copy.deepcopy(cli_context[CONTEXT_KEY])}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_committed_environments_are_valid(env, context):
    config = load_config(context, env)

    assert config.name == env
    assert config.domain_name.endswith(config.hosted_zone_name)


def test_default_environment_is_dev(context):
    assert load_config(context, None).name == "dev"


def test_config_is_frozen(context):
    config = load_config(context, "dev")

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lambda_memory_mb = 1  # type: ignore[misc]


def test_unknown_environment_is_refused(context):
    with pytest.raises(ConfigError, match="env=qa"):
        load_config(context, "qa")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("lambda_memory_mb", "1024", "lambda_memory_mb: expected an integer"),
        ("db_multi_az", "yes", "db_multi_az: expected true or false"),
        ("account", "1234", "account: expected a 12-digit"),
        ("region", "Ireland", "region: expected an AWS region"),
        ("domain_name", "api.other.org", "domain_name: expected a name inside the hosted zone"),
        ("log_retention_days", 10, "log_retention_days: expected a CloudWatch Logs retention"),
        ("lambda_architecture", "arm", "lambda_architecture: expected arm64 or x86_64"),
        ("nat_gateways", 3, "nat_gateways: expected between 0 and max_azs"),
        ("reserved_concurrency", 0, "reserved_concurrency: expected null or at least 1"),
        ("db_max_allocated_storage_gib", 10, "db_max_allocated_storage_gib"),
        ("alarm_email", "ops", "alarm_email: expected an e-mail address"),
        ("alarm_email", "ops@", "alarm_email: expected an e-mail address"),
        ("alarm_email", None, "alarm_email: expected a string"),
    ],
)
def test_bad_values_name_the_key(key, value, message, context):
    context[CONTEXT_KEY]["staging"][key] = value

    with pytest.raises(ConfigError, match=f"staging.{message}"):
        load_config(context, "staging")


def test_missing_and_unknown_keys_are_named(context):
    del context[CONTEXT_KEY]["dev"]["hosted_zone_id"]
    context[CONTEXT_KEY]["dev"]["db_size"] = 5

    with pytest.raises(ConfigError, match="unknown key\\(s\\) db_size"):
        load_config(context, "dev")
    del context[CONTEXT_KEY]["dev"]["db_size"]
    with pytest.raises(ConfigError, match="missing key\\(s\\) hosted_zone_id"):
        load_config(context, "dev")


@pytest.mark.parametrize(
    ("key", "value"), [("db_removal_policy", "destroy"), ("db_deletion_protection", False)]
)
def test_prod_cannot_be_configured_as_disposable(key, value, context):
    context[CONTEXT_KEY]["prod"][key] = value

    with pytest.raises(ConfigError, match=f"prod.{key}: expected .*in prod"):
        load_config(context, "prod")


def test_missing_context_is_explained():
    with pytest.raises(ConfigError, match="missing from CDK context"):
        load_config({}, "dev")


def test_certificate_stack_only_outside_us_east_1(context):
    config = load_config(context, "dev")

    assert config.needs_certificate_stack is (config.region != "us-east-1")
    assert not dataclasses.replace(config, region="us-east-1").needs_certificate_stack
    assert isinstance(config, EnvironmentConfig)


def test_lambda_timeout_cannot_outlast_cloudfronts_origin_read_timeout(context):
    assert CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS == 30  # CloudFront's default
    context[CONTEXT_KEY]["staging"]["lambda_timeout_seconds"] = 31

    with pytest.raises(
        ConfigError,
        match=r"staging\.lambda_timeout_seconds: expected 1\.\.30 \(at most CloudFront's origin "
        r"read timeout",
    ):
        load_config(context, "staging")

    context[CONTEXT_KEY]["staging"]["lambda_timeout_seconds"] = 30
    assert load_config(context, "staging").lambda_timeout_seconds == 30


@pytest.mark.parametrize("email", ["", "ops@example.com", "on-call+courtside@ops.example.org"])
def test_alarm_email_may_be_empty_or_an_address(email, context):
    context[CONTEXT_KEY]["prod"]["alarm_email"] = email

    assert load_config(context, "prod").alarm_email == email
