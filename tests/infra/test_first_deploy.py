"""Issue 19 on the synthesized templates: a first deploy on a new account succeeds, can be
retried, loses nothing, can be hotfixed, and leaves nothing unwatched or growing forever."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cdn.firewall import FORM_CONTENT_TYPES, INGEST_PREFIX, SCOPED_RULES
from cdn.infrastructure import LAMBDA_EDGE_LOG_REGIONS
from courtside.services_registry import SERVICES, WHOLE_APP
from database.infrastructure import LOG_EXPORTS, OS_METRICS_LOG_GROUP
from infra.config import CONTEXT_KEY, ConfigError, hotfix_requested
from infra.release_checks import CHECKS_BY_GROUP, checks_for
from infra.stacks import function_id
from scripts import preflight
from tests.infra.conftest import read_cli_context

RETAINED = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def _edge_template(synth) -> dict[str, Any]:
    name = synth.deployment.edge.stack_name if synth.deployment.edge else synth.name
    return synth.templates[f"{name}.template.json"]


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == type_}


def _ids(synth) -> dict[str, str]:
    return {p.service.name: function_id(p.service) for p in synth.deployment.config.functions}


# --- finding 1: reserved concurrency and the quota it needs ------------------------------------


def test_dev_reserves_no_concurrency_and_the_others_need_their_quota(synths):
    dev = synths["dev"]
    for fn in dev.resources("AWS::Lambda::Function").values():
        assert "ReservedConcurrentExecutions" not in fn["Properties"]
    assert dev.deployment.config.concurrency_quota_needed == 0
    needs = {
        name: (
            s.deployment.config.reserved_concurrency_total,
            s.deployment.config.concurrency_quota_needed,
        )
        for name, s in synths.items()
    }
    assert needs == {"dev": (0, 0), "staging": (20, 120), "prod": (200, 300)}
    for name in ("staging", "prod"):
        reserved = sum(
            fn["Properties"].get("ReservedConcurrentExecutions", 0)
            for fn in synths[name].resources("AWS::Lambda::Function").values()
        )
        assert reserved == needs[name][0]  # the template reserves what preflight checks


def test_deploy_md_states_each_environments_reserve_and_quota(synths):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    for name, synth in synths.items():
        config = synth.deployment.config
        if config.concurrency_quota_needed:
            row = f"| {name} | {config.reserved_concurrency_total} "
            assert row in doc, row
            assert f"| {config.concurrency_quota_needed} |" in doc
    assert "| dev | 0 " in doc


def test_preflight_knows_the_bootstrap_version_the_templates_require(synths):
    """The templates' CheckBootstrapVersion rule refuses versions 1..N-1: N is the minimum."""
    for synth in synths.values():
        for name, template in synth.templates.items():
            rule = template["Rules"]["CheckBootstrapVersion"]["Assertions"][0]["Assert"]
            refused = rule["Fn::Not"][0]["Fn::Contains"][0]
            assert int(max(refused, key=int)) + 1 == preflight.MIN_BOOTSTRAP_VERSION, name


def test_preflight_checks_the_apps_stacks(synths):
    for synth in synths.values():
        deployed = [(s.stack_name, s.region) for s in synth.deployment.stacks]
        assert preflight.stack_names(synth.deployment.config) == deployed


# --- finding 2: nothing lost on deletion -------------------------------------------------------


def _database_secrets(synth) -> dict[str, dict[str, Any]]:
    """Every secret attached to the database instance (the owner's and each login role's)."""
    resources = synth.main_json["Resources"]
    found = {}
    for attachment in synth.resources("AWS::SecretsManager::SecretTargetAttachment").values():
        props = attachment["Properties"]
        assert props["TargetType"] == "AWS::RDS::DBInstance"
        secret_id = props["SecretId"]["Ref"]
        found[secret_id] = resources[secret_id]
    return found


def test_a_retained_databases_secrets_are_retained_themselves(synth):
    config = synth.deployment.config
    secrets = _database_secrets(synth)
    assert len(secrets) == 1 + len(config.functions)  # the owner and each login role
    for name, secret in secrets.items():
        assert secret["Type"] == "AWS::SecretsManager::Secret"
        if config.db_removal_policy == "destroy":
            assert secret["DeletionPolicy"] == "Delete", name
        else:
            assert secret["DeletionPolicy"] == "Retain", name
            assert secret["UpdateReplacePolicy"] == "Retain", name


def test_staging_and_prod_keep_every_database_secret(synths):
    for name in ("staging", "prod"):
        assert synths[name].deployment.config.db_removal_policy != "destroy"
        for secret in _database_secrets(synths[name]).values():
            assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Retain", "Retain")


# --- finding 3: a hotfix during an incident ----------------------------------------------------


def _deployment_groups(synth) -> dict[str, dict[str, Any]]:
    groups = synth.resources("AWS::CodeDeploy::DeploymentGroup")
    return {
        id_: next(g["Properties"] for n, g in groups.items() if n.startswith(f"{id_}Deployment"))
        for id_ in _ids(synth).values()
    }


def test_releases_are_gated_on_their_alarms_by_default(synth):
    for id_, group in _deployment_groups(synth).items():
        alarms = group["AlarmConfiguration"]
        assert alarms["Enabled"] is True, id_
        assert len(alarms["Alarms"]) == 2


@pytest.fixture(scope="module")
def hotfix(synthesize_env):
    return synthesize_env("staging", {**read_cli_context(), "hotfix": "true"}, nag=False)


def test_a_hotfix_releases_with_the_alarms_ignored(hotfix, synths):
    for id_, group in _deployment_groups(hotfix).items():
        alarms = group["AlarmConfiguration"]
        assert alarms["Enabled"] is False, id_  # CodeDeploy polls no alarm
        assert len(alarms["Alarms"]) == 2  # still attached: the next normal deploy re-arms them

    # Only the gate differs: the same alarms, rollback and deployment configuration.
    def without_gate(synth: Any) -> str:
        groups = copy.deepcopy(_deployment_groups(synth))
        for group in groups.values():
            del group["AlarmConfiguration"]["Enabled"]
        return json.dumps(groups, sort_keys=True)

    assert without_gate(hotfix) == without_gate(synths["staging"])


def test_the_alias_shifts_only_after_its_deployment_group_is_updated(synth):
    """A hotfix's "alarms ignored" must be in place before CodeDeploy starts the release."""
    resources = synth.main_json["Resources"]
    for id_ in _ids(synth).values():
        (alias_id,) = [
            n
            for n, r in resources.items()
            if n.startswith(f"{id_}Live") and r["Type"] == "AWS::Lambda::Alias"
        ]
        update = resources[alias_id]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        assert update["DeploymentGroupName"]["Ref"] in resources[alias_id]["DependsOn"]
        assert update["BeforeAllowTrafficHook"]["Ref"] in resources[alias_id]["DependsOn"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("false", False), (False, False), ("true", True), (True, True)],
)
def test_the_hotfix_switch_reads_true_or_false(value, expected):
    assert hotfix_requested(value) is expected


def test_a_mistyped_hotfix_switch_is_refused():
    with pytest.raises(ConfigError, match="-c hotfix=yes: expected true or false"):
        hotfix_requested("yes")


# --- finding 4: the WAF, counting first and scoped where it misfires ---------------------------


def _acl(synth) -> dict[str, dict[str, Any]]:
    (acl,) = _of_type(_edge_template(synth), "AWS::WAFv2::WebACL").values()
    return {r["Name"]: r for r in acl["Properties"]["Rules"]}


@pytest.fixture(scope="module")
def blocking(synthesize_env):
    context = copy.deepcopy(read_cli_context())
    context[CONTEXT_KEY]["prod"]["waf_mode"] = "block"
    return synthesize_env("prod", context, nag=True)


def test_a_new_environment_counts_before_it_blocks(synths):
    for name in ("staging", "prod"):
        assert synths[name].deployment.config.waf_mode == "count"
        rules = _acl(synths[name])
        for group in (
            "AWSManagedRulesAmazonIpReputationList",
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
        ):
            assert rules[group]["OverrideAction"] == {"Count": {}}, group
        assert rules["CommonRuleSetScoped"]["Action"] == {"Count": {}}
        for limit in ("RateLimitSensitive", "RateLimitAll"):  # floods are refused from day one
            assert "Block" in rules[limit]["Action"]


def test_block_mode_blocks_with_the_managed_groups_and_the_scoped_rules(blocking):
    rules = _acl(blocking)
    for group in (
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ):
        assert rules[group]["OverrideAction"] == {"None": {}}, group
    assert rules["CommonRuleSetScoped"]["Action"] == {"Block": {}}
    # The misfiring rules stay counted in the group: only the scoped rule blocks them.
    overrides = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"][
        "RuleActionOverrides"
    ]
    assert {o["Name"]: o["ActionToUse"] for o in overrides} == {
        name: {"Count": {}} for name in SCOPED_RULES
    }


def _exemptions(statement: dict[str, Any]) -> set[tuple[str, str]]:
    """(field, prefix) of each exemption under a NotStatement."""
    inner = statement["NotStatement"]["Statement"]
    matches = inner["OrStatement"]["Statements"] if "OrStatement" in inner else [inner]
    found = set()
    for match in matches:
        byte = match["ByteMatchStatement"]
        assert byte["PositionalConstraint"] == "STARTS_WITH"
        field = (
            "uri"
            if "UriPath" in byte["FieldToMatch"]
            else byte["FieldToMatch"]["SingleHeader"]["Name"]
        )
        found.add((field, byte["SearchString"]))
    return found


def test_the_body_and_user_agent_rules_spare_ingestion_and_form_posts(blocking):
    scoped = _acl(blocking)["CommonRuleSetScoped"]["Statement"]["OrStatement"]["Statements"]
    by_label = {}
    for statement in scoped:
        label, outside = statement["AndStatement"]["Statements"]
        key = label["LabelMatchStatement"]["Key"]
        assert label["LabelMatchStatement"]["Scope"] == "LABEL"
        by_label[key.removeprefix("awswaf:managed:aws:core-rule-set:")] = _exemptions(outside)
    ingest = ("uri", INGEST_PREFIX)
    forms = {("content-type", kind) for kind in FORM_CONTENT_TYPES}
    assert by_label == {
        "SizeRestrictions_Body": {ingest},  # batches up to 1 MB; 8 KB elsewhere
        "CrossSiteScripting_Body": {ingest} | forms,  # JSON data, passwords and free text
        "NoUserAgent_Header": {ingest},  # machine clients with API keys
    }
    # AWS's labels are the rule names with the suffix in mixed case.
    for rule, scoped_rule in SCOPED_RULES.items():
        assert scoped_rule.label.lower() == rule.lower()


def test_the_scoped_rule_runs_after_the_group_that_labels(blocking):
    rules = _acl(blocking)
    assert (
        rules["CommonRuleSetScoped"]["Priority"]
        == rules["AWSManagedRulesCommonRuleSet"]["Priority"] + 1
    )


# --- finding 6: what a managed database shows, and logs that expire ----------------------------


def test_prod_has_performance_insights_and_enhanced_monitoring(synth):
    config = synth.deployment.config
    (db,) = synth.resources("AWS::RDS::DBInstance").values()
    props = db["Properties"]
    assert props.get("EnablePerformanceInsights", False) is config.db_performance_insights
    if config.db_performance_insights:
        assert props["PerformanceInsightsRetentionPeriod"] == 7  # the free tier
    assert props.get("MonitoringInterval", 0) == config.db_monitoring_interval_seconds
    assert ("MonitoringRoleArn" in props) is bool(config.db_monitoring_interval_seconds)
    assert props["EnableCloudwatchLogsExports"] == list(LOG_EXPORTS) == ["postgresql", "upgrade"]
    if config.is_production:
        assert config.db_performance_insights and config.db_monitoring_interval_seconds == 60


def _log_retentions(synth) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for t in synth.templates.values()
        for r in t["Resources"].values()
        if r["Type"] == "Custom::LogRetention"
    ]


def test_every_log_group_aws_creates_for_us_gets_the_retention(synth):
    config = synth.deployment.config
    retentions = _log_retentions(synth)
    for props in retentions:
        assert props["RetentionInDays"] == config.log_retention_days, props
        assert "RemovalPolicy" not in props  # left in place (and so never re-created) on deletion
    names = [json.dumps(p["LogGroupName"]) for p in retentions]
    for export in LOG_EXPORTS:  # /aws/rds/instance/<instance>/<log>
        assert sum(n.endswith(f'/{export}"]]}}') and "/aws/rds/instance/" in n for n in names) == 1
    assert (json.dumps(OS_METRICS_LOG_GROUP) in names) is bool(
        config.db_monitoring_interval_seconds
    )
    rotations = [
        a["Properties"]["Parameters"]["functionName"]
        for a in synth.resources("AWS::Serverless::Application").values()
    ]
    assert len(rotations) == (0 if config.db_rotation_days == 0 else 1 + len(config.functions))
    for function_name in rotations:
        assert json.dumps(f"/aws/lambda/{function_name}") in names


def test_the_edge_replicas_logs_expire_in_every_region_they_run_in(synth):
    template = _edge_template(synth)
    (signer,) = [
        n
        for n, r in template["Resources"].items()
        if n.startswith("SignPayloadFunctionFn") and r["Type"] == "AWS::Lambda::Function"
    ]
    replicas = [
        r["Properties"]
        for r in _of_type(template, "Custom::LogRetention").values()
        if r["Properties"]["LogGroupName"]
        == {"Fn::Join": ["", ["/aws/lambda/us-east-1.", {"Ref": signer}]]}
    ]
    assert sorted(p["LogGroupRegion"] for p in replicas) == sorted(LAMBDA_EDGE_LOG_REGIONS)
    assert len(LAMBDA_EDGE_LOG_REGIONS) == len(set(LAMBDA_EDGE_LOG_REGIONS)) == 13


def test_every_log_group_in_every_stack_expires(synth):
    config = synth.deployment.config
    groups = [
        g for t in synth.templates.values() for g in _of_type(t, "AWS::Logs::LogGroup").values()
    ]
    assert groups
    for group in groups:
        assert group["Properties"]["RetentionInDays"] == config.log_retention_days


def test_staging_pages_someone_like_prod(synths):
    for name in ("staging", "prod"):
        config = synths[name].deployment.config
        assert config.alarm_subscriber_opt_out == ""
        for template in synths[name].templates.values():
            if _of_type(template, "AWS::SNS::Topic"):
                (subscription,) = _of_type(template, "AWS::SNS::Subscription").values()
                assert subscription["Properties"]["Endpoint"] == config.alarm_email
    assert synths["dev"].deployment.config.alarm_subscriber_opt_out  # dev says why it does not


# --- finding 7: a first deploy that can be retried ---------------------------------------------

NAME_PROPERTIES = (
    "LogGroupName",
    "BucketName",
    "FunctionName",
    "TopicName",
    "Name",
    "RoleName",
    "DBInstanceIdentifier",
    "ReplicationGroupId",
    "AliasName",
    "TableName",
    "DashboardName",
)


def test_no_retained_resource_holds_a_fixed_name(synth):
    """A resource left behind by a failed attempt (or a deleted stack) must not make the next
    attempt fail with "already exists": anything retained is named by CloudFormation, or its name
    carries the stack's id."""
    for file_name, template in synth.templates.items():
        for name, resource in template["Resources"].items():
            if resource.get("DeletionPolicy") not in RETAINED:
                continue
            props = resource.get("Properties", {})
            for key in NAME_PROPERTIES:
                if key not in props:
                    continue
                value = json.dumps(props[key])
                assert "AWS::StackId" in value or '"Ref"' in value or "Fn::GetAtt" in value, (
                    f"{file_name}: {name} is retained under the fixed {key} {value}"
                )


def test_the_waf_log_group_is_named_for_waf_and_for_this_stack(synths):
    for name in ("staging", "prod"):
        template = _edge_template(synths[name])
        (group,) = [
            g
            for g in _of_type(template, "AWS::Logs::LogGroup").values()
            if "aws-waf-logs-" in json.dumps(g["Properties"].get("LogGroupName"))
        ]
        parts = group["Properties"]["LogGroupName"]["Fn::Join"][1]
        assert parts[0] == f"aws-waf-logs-courtside-{name}-"
        assert "AWS::StackId" in json.dumps(parts[1])
        assert group["DeletionPolicy"] == "Retain"  # its logs are kept; the name never collides


# --- finding 8: the staging smoke test runs against the new version, before traffic ------------


def test_every_service_has_release_checks():
    for service in (*SERVICES, WHOLE_APP):
        checks = checks_for(service)
        assert checks, service.name
        assert {c.path for c in checks} <= {
            c.path for group in CHECKS_BY_GROUP.values() for c in group
        }
    assert {c.path for c in checks_for(WHOLE_APP)} == {
        c.path for group in CHECKS_BY_GROUP.values() for c in group
    }
    for group in CHECKS_BY_GROUP:  # every checked group is one of the app's
        assert any(group in s.groups for s in SERVICES)


def test_each_release_is_checked_by_its_own_hook_on_its_new_version(synth):
    resources = synth.main_json["Resources"]
    for name, id_ in _ids(synth).items():
        (alias_id,) = [
            n
            for n, r in resources.items()
            if n.startswith(f"{id_}Live") and r["Type"] == "AWS::Lambda::Alias"
        ]
        alias = resources[alias_id]
        hook_id = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"][
            "Ref"
        ]
        assert hook_id.startswith(f"{id_}ReleaseCheckFunction")
        hook = resources[hook_id]["Properties"]
        variables = hook["Environment"]["Variables"]
        # The version the alias is about to move to, and nothing else, is what the hook invokes.
        version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
        assert variables["TARGET_VERSION_ARN"] == {"Ref": version_id}  # a version's ARN
        service = next(
            p.service for p in synth.deployment.config.functions if p.service.name == name
        )
        assert json.loads(variables["CHECKS"]) == [c.to_json() for c in checks_for(service)]
        assert variables["PUBLIC_HOST"] == synth.deployment.config.domain_name
        assert hook["Handler"] == "handler.on_hook"
        assert "VpcConfig" not in hook  # it calls AWS APIs only
        (policy,) = [
            r["Properties"]["PolicyDocument"]["Statement"]
            for n, r in resources.items()
            if n.startswith(f"{id_}ReleaseCheckFunctionServiceRoleDefaultPolicy")
        ]
        grants = {s["Action"]: s["Resource"] for s in policy}
        assert grants["lambda:InvokeFunction"] == {"Ref": version_id}
        assert "codedeploy:PutLifecycleEventHookExecutionStatus" in grants
