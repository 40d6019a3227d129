"""The environment config: a strict Pydantic model, with errors that name the bad key."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from infra.catalog import ELASTICACHE_VALKEY, RDS_POSTGRES
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
    assert config.db_instance_class in RDS_POSTGRES
    assert config.cache_node_type in ELASTICACHE_VALKEY


def test_default_environment_is_dev(context):
    assert load_config(context, None).name == "dev"


def test_config_is_frozen(context):
    config = load_config(context, "dev")

    with pytest.raises(ValidationError, match="frozen"):
        config.lambda_memory_mb = 1  # type: ignore[misc]


def test_unknown_environment_is_refused(context):
    with pytest.raises(ConfigError, match="env=qa"):
        load_config(context, "qa")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("lambda_memory_mb", "1024", "lambda_memory_mb: Input should be a valid integer"),
        ("lambda_memory_mb", 64, "lambda_memory_mb: Input should be greater than or equal"),
        ("db_multi_az", "yes", "db_multi_az: Input should be a valid boolean"),
        ("account", "1234", "account: String should match pattern"),
        ("region", "Ireland", "region: String should match pattern"),
        ("domain_name", "api.other.org", "domain_name: expected a name inside the hosted zone"),
        ("log_retention_days", 10, "log_retention_days: expected a CloudWatch Logs retention"),
        ("lambda_architecture", "arm", "lambda_architecture: Input should be 'arm64' or"),
        ("lambda_deployment", "BLUE_GREEN", "lambda_deployment: Input should be"),
        ("reserved_concurrency", -1, "reserved_concurrency: Input should be greater than"),
        ("reserved_concurrency", None, "reserved_concurrency: Input should be a valid int"),
        ("waf_mode", "detect", "waf_mode: Input should be 'count' or 'block'"),
        ("db_monitoring_interval_seconds", 2, "db_monitoring_interval_seconds: expected 0"),
        ("alarm_subscriber_opt_out", "because", "alarm_subscriber_opt_out: String should"),
        ("db_max_allocated_storage_gib", 19, "db_max_allocated_storage_gib"),
        ("db_allocated_storage_gib", 200, "db_max_allocated_storage_gib: expected at least db_"),
        ("db_instance_class", "x2g.huge", "db_instance_class: expected a class listed in infra"),
        ("cache_node_type", "cache.x9.big", "cache_node_type: expected a node type listed"),
        ("cache_auth_token_version", "v2", "cache_auth_token_version: String should match"),
        ("waf_sensitive_rate_limit", 5000, "waf_sensitive_rate_limit: expected at most"),
        ("alarm_email", "ops", "alarm_email: String should match pattern"),
        ("alarm_email", None, "alarm_email: Input should be a valid string"),
        ("alarm_topic_arns", ["arn:aws:sqs:eu-west-1:1:q"], "alarm_topic_arns.0: String should"),
    ],
)
def test_bad_values_name_the_key(key, value, message, context):
    context[CONTEXT_KEY]["staging"][key] = value

    with pytest.raises(ConfigError, match=f"staging.{message}"):
        load_config(context, "staging")


def test_missing_and_unknown_keys_are_named(context):
    del context[CONTEXT_KEY]["dev"]["hosted_zone_id"]
    context[CONTEXT_KEY]["dev"]["db_size"] = 5

    with pytest.raises(ConfigError) as error:
        load_config(context, "dev")

    assert "dev.hosted_zone_id: missing key" in str(error.value)
    assert "dev.db_size: unknown key" in str(error.value)


def test_the_removed_keys_are_refused(context):
    """NAT gateways and the RDS Proxy are gone (issue 12.6/12.7): a stale key says so."""
    context[CONTEXT_KEY]["prod"]["nat_gateways"] = 2

    with pytest.raises(ConfigError, match=r"prod\.nat_gateways: unknown key"):
        load_config(context, "prod")


@pytest.mark.parametrize(
    ("key", "value"), [("db_removal_policy", "destroy"), ("db_deletion_protection", False)]
)
def test_prod_cannot_be_configured_as_disposable(key, value, context):
    context[CONTEXT_KEY]["prod"][key] = value

    with pytest.raises(ConfigError, match=f"prod.{key}: expected .*in prod"):
        load_config(context, "prod")


def test_prod_refuses_alarms_that_reach_nobody(context):
    prod = context[CONTEXT_KEY]["prod"]
    prod["alarm_email"] = ""
    prod["alarm_topic_arns"] = []

    with pytest.raises(
        ConfigError,
        match=r"prod\.alarm_email: prod refuses to run with alarms that reach nobody: set "
        r"alarm_email, or list an existing SNS topic in alarm_topic_arns for each of "
        r"eu-west-1, us-east-1",
    ):
        load_config(context, "prod")

    # A topic in the environment's region only: CloudFront's alarms (us-east-1) still reach nobody.
    prod["alarm_topic_arns"] = ["arn:aws:sns:eu-west-1:333333333333:on-call"]
    with pytest.raises(ConfigError, match=r"for each of us-east-1$"):
        load_config(context, "prod")

    prod["alarm_topic_arns"].append("arn:aws:sns:us-east-1:333333333333:on-call")
    config = load_config(context, "prod")
    assert config.topics_in("eu-west-1") == ("arn:aws:sns:eu-west-1:333333333333:on-call",)
    assert config.topics_in("us-east-1") == ("arn:aws:sns:us-east-1:333333333333:on-call",)


def test_staging_refuses_alarms_that_reach_nobody_unless_it_says_why(context):
    staging = context[CONTEXT_KEY]["staging"]
    staging["alarm_email"] = ""

    with pytest.raises(
        ConfigError,
        match=r"staging\.alarm_email: staging refuses to run with alarms that reach nobody: .* "
        r"for each of eu-west-1, us-east-1; or say why not in alarm_subscriber_opt_out",
    ):
        load_config(context, "staging")

    staging["alarm_subscriber_opt_out"] = "a rehearsal account nobody watches this quarter"
    assert load_config(context, "staging").alarm_email == ""


def test_prod_cannot_opt_out_of_alarm_subscribers(context):
    context[CONTEXT_KEY]["prod"]["alarm_subscriber_opt_out"] = "we read the dashboard instead"

    with pytest.raises(ConfigError, match=r"prod\.alarm_subscriber_opt_out: expected ''"):
        load_config(context, "prod")


def test_dev_opts_out_with_a_reason(context):
    config = load_config(context, "dev")

    assert config.alarm_email == "" and config.alarm_topic_arns == ()
    assert len(config.alarm_subscriber_opt_out) >= 20


def test_missing_context_is_explained():
    with pytest.raises(ConfigError, match="missing from CDK context"):
        load_config({}, "dev")


def test_edge_stack_only_outside_us_east_1(context):
    config = load_config(context, "dev")

    assert config.needs_edge_stack is (config.region != "us-east-1")
    assert not config.model_copy(update={"region": "us-east-1"}).needs_edge_stack
    assert config.model_copy(update={"region": "us-east-1"}).alarm_regions == ("us-east-1",)
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
    context[CONTEXT_KEY]["staging"]["alarm_email"] = email
    if not email:  # then the config must say why nobody hears the alarms
        context[CONTEXT_KEY]["staging"]["alarm_subscriber_opt_out"] = "a reason of 20+ chars"

    assert load_config(context, "staging").alarm_email == email


def test_cache_token_version_is_a_secrets_manager_version_id(context):
    version = "3f2b1c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
    context[CONTEXT_KEY]["staging"]["cache_auth_token_version"] = version

    assert load_config(context, "staging").cache_auth_token_version == version
