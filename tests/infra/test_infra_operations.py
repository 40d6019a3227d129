"""Issue 12 on the synthesized templates: alarms and who hears them, the WAF, the canary, the
database roles' secrets, the cache token's rotation, retained edge versions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.infrastructure import ALIAS_NAME
from cdn.firewall import SENSITIVE_PATHS
from database.infrastructure import APP_ROLE
from infra.stacks import function_id

PATH_TO_MIGRATION = "api/migrations/versions/0007_app_role.py"


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }


def _only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = [(n, r) for n, r in template["Resources"].items() if r["Type"] == type_]
    assert len(found) == 1, (type_, [n for n, _ in found])
    return found[0]


def _function_ids(synth) -> dict[str, str]:
    return {p.service.name: function_id(p.service) for p in synth.deployment.config.functions}


def _edge_template(synth) -> dict[str, Any]:
    name = synth.deployment.edge.stack_name if synth.deployment.edge else synth.name
    return synth.templates[f"{name}.template.json"]


# --- 12.1 alarms that fire and reach someone ------------------------------------------------


def test_alarms_cover_what_users_see_and_every_dependency(synth):
    metrics = {(a["Namespace"], a["MetricName"]) for a in _alarms(synth.main_json).values()}

    assert {
        ("AWS/Lambda", "Url5xxCount"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"),
        ("AWS/ElastiCache", "Evictions"),
    } <= metrics
    reserves = synth.deployment.config.reserved_concurrency_total
    assert (("AWS/Lambda", "ConcurrentExecutions") in metrics) is (reserves > 0)
    edge_alarms = [
        a
        for t in synth.templates.values()
        for a in _alarms(t).values()
        if a["Namespace"] == "AWS/CloudFront"
    ]
    (cloudfront,) = edge_alarms
    assert cloudfront["MetricName"] == "5xxErrorRate"
    assert {"Name": "Region", "Value": "Global"} in cloudfront["Dimensions"]


def test_cloudfront_alarm_lives_in_us_east_1(synth):
    if synth.deployment.edge_alarms is None:
        pytest.skip("an environment in us-east-1 keeps it in its main stack")
    assert synth.deployment.edge_alarms.region == "us-east-1"
    alarms = _alarms(synth.templates[f"{synth.deployment.edge_alarms.stack_name}.template.json"])
    (alarm,) = alarms.values()
    distribution = next(d["Value"] for d in alarm["Dimensions"] if d["Name"] == "DistributionId")
    assert distribution["Fn::GetStackOutput"]["StackName"] == synth.deployment.main.stack_name


def test_url_5xx_alarm_watches_each_alias(synth):
    urls = [a for a in _alarms(synth.main_json).values() if a["MetricName"] == "Url5xxCount"]
    assert len(urls) == len(_function_ids(synth))
    functions = set()
    for url in urls:
        dimensions = {d["Name"]: d["Value"] for d in url["Dimensions"]}
        assert json.dumps(dimensions["Resource"]).endswith(f':{ALIAS_NAME}"]]}}')
        functions.add(json.dumps(dimensions["FunctionName"]))
        assert url["Period"] == 60
        assert url["TreatMissingData"] == "notBreaching"
    assert len(functions) == len(urls)  # one alarm per function, none shared


def test_thresholds_follow_each_functions_config(synth):
    resources = synth.main_json["Resources"]
    alarms = _alarms(synth.main_json)
    for plan in synth.deployment.config.functions:
        id_ = function_id(plan.service)
        mine = {
            a["MetricName"]: a
            for n, a in alarms.items()
            if n.startswith(id_) and resources[n]["Type"] == "AWS::CloudWatch::Alarm"
        }
        assert mine["Duration"]["ExtendedStatistic"] == "p99"
        assert mine["Duration"]["Threshold"] == plan.timeout_seconds * 1000 * 0.8
        if plan.reserved_concurrency is None:  # dev: nothing reserved, nothing to approach
            assert "ConcurrentExecutions" not in mine
        else:
            assert mine["ConcurrentExecutions"]["Threshold"] == max(
                1, int(plan.reserved_concurrency * 0.8)
            )
        assert mine["Errors"]["AlarmDescription"].startswith(f"Courtside {id_}: ")
    database = {a["MetricName"]: a for a in alarms.values()}
    assert database["DatabaseConnections"]["Threshold"] > 0


def test_every_alarm_notifies_its_regions_topic_on_alarm_and_ok(synth):
    checked = 0
    for file_name, template in synth.templates.items():
        alarms = _alarms(template)
        if not alarms:
            continue
        topic_id, _ = _only(template, "AWS::SNS::Topic")
        for name, alarm in alarms.items():
            assert alarm.get("AlarmActions") == [{"Ref": topic_id}], (file_name, name)
            assert alarm.get("OKActions") == [{"Ref": topic_id}], (file_name, name)
            assert alarm.get("ActionsEnabled", True) is True
            checked += 1
    nodes = 2 if synth.deployment.config.cache_multi_az else 1
    functions = len(_function_ids(synth))
    reserving = sum(1 for p in synth.deployment.config.functions if p.reserved_concurrency)
    # Each function 4 (5xx, errors, throttles, duration) and concurrency where it reserves
    # some, RDS 4, cache 3 a node, CloudFront 1
    assert checked == 4 * functions + reserving + 4 + 3 * nodes + 1


def test_alarm_topics_are_encrypted_tls_only_and_reach_the_configured_subscriber(synth):
    config = synth.deployment.config
    for template in synth.templates.values():
        if not _alarms(template):
            continue
        topic_id, topic = _only(template, "AWS::SNS::Topic")
        key = template["Resources"][topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]]
        assert key["Properties"]["EnableKeyRotation"] is True
        _, policy = _only(template, "AWS::SNS::TopicPolicy")
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        deny = next(s for s in statements if s["Effect"] == "Deny")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        publish = next(s for s in statements if s["Effect"] == "Allow")
        assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        subscriptions = [
            r["Properties"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::SNS::Subscription"
        ]
        if config.alarm_email:
            assert subscriptions == [
                {"Protocol": "email", "Endpoint": config.alarm_email, "TopicArn": {"Ref": topic_id}}
            ]
        else:
            assert subscriptions == []


def test_prod_has_a_subscriber_in_every_region_with_alarms(synths):
    prod = synths["prod"]
    for template in prod.templates.values():
        if _alarms(template):
            _only(template, "AWS::SNS::Subscription")


def test_existing_topics_are_added_to_their_regions_alarms(synthesize_env, cli_context):
    context = json.loads(json.dumps(cli_context))
    env = context["courtside:environments"]["prod"]
    env["alarm_email"] = ""
    regional = "arn:aws:sns:eu-west-1:333333333333:on-call"
    edge = "arn:aws:sns:us-east-1:333333333333:on-call"
    env["alarm_topic_arns"] = [regional, edge]

    synth = synthesize_env("prod", context, nag=False)

    for file_name, template in synth.templates.items():
        for alarm in _alarms(template).values():
            expected = edge if "Edge" in file_name else regional
            assert expected in alarm["AlarmActions"], file_name
            assert len(alarm["AlarmActions"]) == 2
        types = {r["Type"] for r in template["Resources"].values()}
        assert "AWS::SNS::Subscription" not in types


def test_one_dashboard_with_each_functions_request_latency(synth):
    _, dashboard = _only(synth.main_json, "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    filters = [
        r["Properties"]
        for r in synth.main_json["Resources"].values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    ]
    assert len(filters) == len(_function_ids(synth))
    for id_ in _function_ids(synth).values():
        (metric_filter,) = [
            f
            for f in filters
            if f["MetricTransformations"][0]["MetricName"] == f"{id_}RequestLatency"
        ]
        transformation = metric_filter["MetricTransformations"][0]
        assert transformation["MetricValue"] == "$.latency_ms"
        assert transformation["MetricName"] in body
        assert '$.logger = \\"courtside.request\\"' in json.dumps(metric_filter)
        assert f"{id_} p99" in body  # each service's lines are labelled
    for needle in ("5xxErrorRate", "Url5xxCount", "DatabaseConnections", "Evictions"):
        assert needle in body
    assert '\\"region\\":\\"us-east-1\\"' in body  # CloudFront's metrics are read from there


# --- 12.2 a web application firewall --------------------------------------------------------


def test_waf_is_associated_with_the_distribution_when_enabled(synth):
    config = synth.deployment.config
    distribution = synth.resources("AWS::CloudFront::Distribution")
    (props,) = (d["Properties"]["DistributionConfig"] for d in distribution.values())
    acls = [
        r
        for t in synth.templates.values()
        for r in t["Resources"].values()
        if r["Type"] == "AWS::WAFv2::WebACL"
    ]
    if not config.waf_enabled:
        assert acls == []
        assert "WebACLId" not in props
        return
    (acl,) = acls
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    reference = props["WebACLId"]
    if synth.deployment.edge is not None:
        assert reference["Fn::GetStackOutput"]["Region"] == "us-east-1"
        assert reference["Fn::GetStackOutput"]["StackName"] == synth.deployment.edge.stack_name


def test_waf_rules_managed_groups_and_rate_limits(synths):
    synth = synths["prod"]
    config = synth.deployment.config
    _, acl = _only(_edge_template(synth), "AWS::WAFv2::WebACL")
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}

    assert [r["Name"] for r in sorted(rules.values(), key=lambda r: r["Priority"])] == [
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "CommonRuleSetScoped",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "RateLimitSensitive",
        "RateLimitAll",
    ]
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    # The rules that misfire here are only counted in the group; CommonRuleSetScoped enforces
    # them where they do not (tests/infra/test_first_deploy.py).
    assert common["RuleActionOverrides"] == [
        {"Name": name, "ActionToUse": {"Count": {}}}
        for name in ("SizeRestrictions_BODY", "CrossSiteScripting_BODY", "NoUserAgent_HEADER")
    ]
    everything = rules["RateLimitAll"]["Statement"]["RateBasedStatement"]
    assert everything == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": config.waf_rate_limit,
    }
    sensitive = rules["RateLimitSensitive"]["Statement"]["RateBasedStatement"]
    assert sensitive["Limit"] == config.waf_sensitive_rate_limit < config.waf_rate_limit
    matches = sensitive["ScopeDownStatement"]["OrStatement"]["Statements"]
    assert [m["ByteMatchStatement"]["SearchString"] for m in matches] == list(SENSITIVE_PATHS)
    assert set(SENSITIVE_PATHS) == {"/token", "/login", "/signup", "/v1/ingest/"}
    for name in ("RateLimitAll", "RateLimitSensitive"):
        response = rules[name]["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}]
    body = json.loads(acl["Properties"]["CustomResponseBodies"]["rate_limited"]["Content"])
    assert body["error"]["code"] == "rate_limited"


def test_waf_logs_blocked_requests_with_secrets_redacted_and_a_retention(synths):
    synth = synths["prod"]
    template = _edge_template(synth)
    _, logging = _only(template, "AWS::WAFv2::LoggingConfiguration")
    props = logging["Properties"]
    (destination,) = props["LogDestinationConfigs"]
    group_id = destination["Fn::Join"][1][1]["Ref"]

    assert destination["Fn::Join"][1][0].endswith(":log-group:")
    name = template["Resources"][group_id]["Properties"]["LogGroupName"]
    # WAF's prefix, then a part of the stack's id (tests/infra/test_first_deploy.py).
    assert name["Fn::Join"][1][0] == "aws-waf-logs-courtside-prod-"
    assert props["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
    ]
    assert props["LoggingFilter"]["DefaultBehavior"] == "DROP"
    group = template["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == synth.deployment.config.log_retention_days


# --- 12.4 least-privilege database access ---------------------------------------------------


def test_each_login_role_has_its_own_secret_with_the_master_for_rotation(synth):
    secrets = synth.resources("AWS::SecretsManager::Secret")
    roles = [p.service.database_role for p in synth.deployment.config.functions]
    found = []
    for secret in secrets.values():
        generated = secret["Properties"].get("GenerateSecretString", {})
        template = json.dumps(generated.get("SecretStringTemplate", ""))
        if "masterarn" in template:  # multi-user rotation logs in as the owner to set passwords
            found += [r for r in roles if f'\\"username\\":\\"{r}\\"' in template]
    assert sorted(found) == sorted(roles)
    assert (APP_ROLE in roles) is (synth.deployment.config.services == "all-in-one")


def test_the_app_role_name_is_the_one_the_migration_creates():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / PATH_TO_MIGRATION).read_text()
    assert f'APP_ROLE = "{APP_ROLE}"' in source


# --- 12.5 a cache token that really rotates -------------------------------------------------


def _auth_token(synth) -> str:
    (group,) = synth.resources("AWS::ElastiCache::ReplicationGroup").values()
    return json.dumps(group["Properties"]["AuthToken"])


def test_cache_token_is_referenced_by_version_so_rotating_it_changes_the_template(
    synths, synthesize_env, cli_context
):
    version = "3f2b1c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
    context = json.loads(json.dumps(cli_context))
    context["courtside:environments"]["staging"]["cache_auth_token_version"] = version

    rotated = synthesize_env("staging", context, nag=False)

    before, after = _auth_token(synths["staging"]), _auth_token(rotated)
    assert before != after
    assert before.endswith(':SecretString:::}}"]]}')  # what CloudFormation first resolved
    assert f":SecretString:::{version}}}}}" in after


# --- 12.9 edge versions retained --------------------------------------------------------------


def test_edge_function_and_its_versions_are_retained(synth):
    template = _edge_template(synth)
    signer = {
        n: r
        for n, r in template["Resources"].items()
        if n.startswith("SignPayloadFunctionFn")
        and r["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::Version")
    }
    assert {r["Type"] for r in signer.values()} == {"AWS::Lambda::Function", "AWS::Lambda::Version"}
    for name, resource in signer.items():
        assert resource["DeletionPolicy"] == "Retain", name
        assert resource["UpdateReplacePolicy"] == "Retain", name


# --- 12.10 safe releases -----------------------------------------------------------------------


def test_each_function_deploys_through_a_canary_that_rolls_back_on_its_own_alarms(synth):
    config = synth.deployment.config
    resources = synth.main_json["Resources"]
    expected = {
        "ALL_AT_ONCE": "CodeDeployDefault.LambdaAllAtOnce",
        "CANARY_10PERCENT_5MINUTES": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "LINEAR_10PERCENT_EVERY_1MINUTE": "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    }
    for id_ in _function_ids(synth).values():
        (props,) = [
            r["Properties"]
            for n, r in resources.items()
            if n.startswith(f"{id_}Deployment") and r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        ]
        alarm_names = {a["Name"]["Ref"] for a in props["AlarmConfiguration"]["Alarms"]}
        assert props["DeploymentConfigName"] == expected[config.lambda_deployment]
        assert props["AlarmConfiguration"]["Enabled"] is True
        assert {n.rstrip("0123456789ABCDEF") for n in alarm_names} == {
            f"{id_}Url5xx",
            f"{id_}Errors",
        }
        assert set(props["AutoRollbackConfiguration"]["Events"]) >= {
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_ALARM",
        }
        (alias,) = [
            r
            for n, r in resources.items()
            if n.startswith(f"{id_}Live") and r["Type"] == ("AWS::Lambda::Alias")
        ]
        assert alias["Properties"]["Name"] == ALIAS_NAME
        version = resources[alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]]
        assert version["DeletionPolicy"] == "Retain"  # the emergency rollback's target survives
        assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]
    for url in synth.resources("AWS::Lambda::Url").values():
        assert url["Properties"]["Qualifier"] == ALIAS_NAME


def test_staging_rehearses_prods_release(synths):
    assert synths["staging"].deployment.config.lambda_deployment == (
        synths["prod"].deployment.config.lambda_deployment
    )
    assert synths["prod"].deployment.config.lambda_deployment.startswith("CANARY")
