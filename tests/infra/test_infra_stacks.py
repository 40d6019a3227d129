"""Every environment's stacks, asserted on the synthesized CloudFormation (aws_cdk.assertions)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from cdn.infrastructure import EDGE_MAX_BODY_BYTES, PUBLIC_ROUTE_GROUPS, SERVICE_PATHS
from database.infrastructure import POSTGRES_MAJOR
from infra.config import CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS, ENVIRONMENT_NAMES
from infra.log_groups import LOG_RETENTION_FUNCTION_ID
from infra.stacks import function_id
from infra.tracing import XRAY_WRITE_ACTIONS

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # forwards Host: must never be used
PRIVATE_PATHS = ["/token", "/v1/me/*", "/v1/admin/*", "/v1/ingest/*"]
APP_ENV_VARS = {
    "ENVIRONMENT",
    "DATABASE_SECRET_ARN",
    "DATABASE_NAME",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "REDIS_AUTH_SECRET_ARN",
    "BEHIND_CLOUDFRONT",
    "PUBLIC_BASE_URL",
    "LOG_LEVEL",
    "OTEL_ENABLED",
    "MAX_BODY_BYTES",
    "INGEST_MAX_BODY_BYTES",
}
# CloudFront's include-body cap for Lambda@Edge (1 MB); bodies above it arrive truncated.
CLOUDFRONT_INCLUDE_BODY_CAP = 1_048_576


def _one(synth, type_: str) -> tuple[str, dict[str, Any]]:
    found = synth.resources(type_)
    assert len(found) == 1, f"{synth.name}: expected one {type_}, found {sorted(found)}"
    name, resource = next(iter(found.items()))
    return str(name), dict(resource)


def _distribution_config(synth) -> dict[str, Any]:
    config: dict[str, Any] = _one(synth, "AWS::CloudFront::Distribution")[1]["Properties"][
        "DistributionConfig"
    ]
    return config


def _behaviors(synth) -> dict[str, dict[str, Any]]:
    return {b["PathPattern"]: b for b in _distribution_config(synth)["CacheBehaviors"]}


def _ids(synth) -> dict[str, str]:
    """The app's functions: service name (``api``: the whole app) -> construct id."""
    return {p.service.name: function_id(p.service) for p in synth.deployment.config.functions}


def _plans(synth) -> dict[str, Any]:
    return {p.service.name: p for p in synth.deployment.config.functions}


def _functions(synth) -> dict[str, dict[str, Any]]:
    """The container functions: each of the app's, by service name, and ``migrations``."""
    ids = _ids(synth)
    functions = {}
    for name, resource in synth.resources("AWS::Lambda::Function").items():
        if "ImageUri" not in resource["Properties"]["Code"]:
            continue
        if name.startswith("Migrations"):
            functions["migrations"] = resource
            continue
        (service,) = [s for s, id_ in ids.items() if name.startswith(f"{id_}Function")]
        functions[service] = resource
    assert set(functions) == {*ids, "migrations"}
    return functions


def _app_functions(synth) -> dict[str, dict[str, Any]]:
    return {name: fn for name, fn in _functions(synth).items() if name != "migrations"}


def _role_secret_prefix(role: str) -> str:
    """A login role's secret attachment's logical id prefix (`Database<Role>SecretAttachment`)."""
    label = "".join(p.capitalize() for p in role.removeprefix("courtside_").split("_"))
    return f"Database{label}SecretAttachment"


def _logical_id(synth, type_: str, prefix: str) -> str:
    ids = [name for name in synth.resources(type_) if name.startswith(prefix)]
    assert len(ids) == 1, (type_, prefix, ids)
    return str(ids[0])


# --- synthesis itself ------------------------------------------------------------------------


def test_every_environment_synthesizes_its_stacks(synths):
    for name, synth in synths.items():
        config = synth.deployment.config
        names = sorted(synth.templates)
        expected = {f"Courtside-{name}.template.json"}
        if config.needs_edge_stack:
            expected |= {f"Courtside-{name}-Edge.template.json"}
            expected |= {f"Courtside-{name}-EdgeAlarms.template.json"}
        assert set(names) == expected
        assert [s.stack_name for s in synth.deployment.stacks] == [
            n.removesuffix(".template.json")
            for n in sorted(expected, key=lambda n: ("-Edge." not in n, "EdgeAlarms" in n))
        ]


def test_cdk_nag_ran_and_found_nothing_unacknowledged(synth):
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    plugins = {p["pluginName"]: p for p in report["pluginReports"]}

    assert plugins["AwsSolutions"]["conclusion"] == "success", plugins["AwsSolutions"]
    assert plugins["AwsSolutions"]["violations"] == []


def test_no_dummy_context_values_remain(synth):
    for path in synth.outdir.glob("*.json"):
        text = path.read_text()
        assert not re.search(r"dummy1a|DUMMY", text), f"{path.name} holds a dummy context value"


def test_stack_environment_is_explicit(synth):
    config = synth.deployment.config
    main = synth.deployment.main
    assert (main.account, main.region) == (config.account, config.region)
    for stack in (synth.deployment.edge, synth.deployment.edge_alarms):
        if stack is not None:
            assert (stack.account, stack.region) == (config.account, "us-east-1")


# --- network ---------------------------------------------------------------------------------


def test_vpc_spans_two_azs_with_flow_logs(synth):
    subnets = synth.resources("AWS::EC2::Subnet").values()
    azs = {s["Properties"]["AvailabilityZone"] for s in subnets}
    assert len(azs) == 2
    assert not any(s["Properties"].get("MapPublicIpOnLaunch") for s in subnets)
    synth.main.has_resource_properties(
        "AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL"}
    )


def test_no_nat_no_internet_gateway_and_a_secrets_manager_endpoint(synth):
    """Nothing in the VPC needs the internet: the AWS APIs it calls are Secrets Manager and,
    with tracing on, X-Ray (tests/infra/test_tracing_infra.py), each through an endpoint."""
    config = synth.deployment.config
    for kind in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP"):
        synth.main.resource_count_is(kind, 0)
    assert synth.resources("AWS::EC2::Route") == {}  # only the VPC's local routes
    endpoints = {
        e["Properties"]["ServiceName"]: e for e in synth.resources("AWS::EC2::VPCEndpoint").values()
    }
    assert set(endpoints) == {
        f"com.amazonaws.{config.region}.secretsmanager",
        *([f"com.amazonaws.{config.region}.xray"] if config.otel_enabled else []),
    }
    for endpoint in endpoints.values():
        assert endpoint["Properties"]["VpcEndpointType"] == "Interface"
        assert endpoint["Properties"]["PrivateDnsEnabled"] is True


def test_no_security_group_is_open_to_the_internet(synth):
    for name, sg in synth.resources("AWS::EC2::SecurityGroup").items():
        for rule in sg["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0", name
            assert rule.get("CidrIpv6") != "::/0", name
    for name, rule in synth.resources("AWS::EC2::SecurityGroupIngress").items():
        assert "CidrIp" not in rule["Properties"], name


# --- database --------------------------------------------------------------------------------


def test_database_is_encrypted_private_and_pinned_to_a_major(synth):
    """Major only, minors applied by RDS: the template never disagrees with the database."""
    synth.main.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "Engine": "postgres",
            "EngineVersion": POSTGRES_MAJOR,
            "AutoMinorVersionUpgrade": True,
            "StorageEncrypted": True,
            "PubliclyAccessible": False,
            "DBName": "courtside",
            "MasterUserPassword": Match.object_like(
                {"Fn::Join": ["", Match.array_with(["{{resolve:secretsmanager:"])]}
            ),
        },
    )
    _, db = _one(synth, "AWS::RDS::DBInstance")
    # cfn-lint's W3691 is silenced for this one resource only (see database/infrastructure.py).
    assert db["Metadata"]["cfn-lint"] == {"config": {"ignore_checks": ["W3691"]}}


def test_database_protection_follows_the_environment(synth):
    config = synth.deployment.config
    _, db = _one(synth, "AWS::RDS::DBInstance")
    props = db["Properties"]

    assert props["MultiAZ"] is config.db_multi_az
    assert props["BackupRetentionPeriod"] == config.db_backup_retention_days
    assert props.get("DeletionProtection", False) is config.db_deletion_protection
    expected = {"destroy": "Delete", "snapshot": "Snapshot", "retain": "Retain"}
    assert db["DeletionPolicy"] == expected[config.db_removal_policy]
    assert db["UpdateReplacePolicy"] == expected[config.db_removal_policy]


def test_prod_keeps_its_data(synths):
    _, db = _one(synths["prod"], "AWS::RDS::DBInstance")
    assert db["DeletionPolicy"] in {"Retain", "Snapshot"}
    assert db["Properties"]["DeletionProtection"] is True
    _, dev_db = _one(synths["dev"], "AWS::RDS::DBInstance")
    assert dev_db["DeletionPolicy"] == "Delete"


def test_database_security_group_admits_only_our_functions(synth):
    db_sg = _logical_id(synth, "AWS::EC2::SecurityGroup", "DatabaseSecurityGroup")
    functions = tuple(f"{id_}FunctionSecurityGroup" for id_ in _ids(synth).values())
    rotations = tuple(
        _role_secret_prefix(p.service.database_role)
        .replace("Database", "DatabaseInstance", 1)
        .replace("SecretAttachment", "RotationSecurityGroup")
        for p in synth.deployment.config.functions
    )
    allowed_prefixes = (
        *functions,
        "MigrationsFunctionSecurityGroup",
        "DatabaseInstanceRotationSingleUserSecurityGroup",
        *rotations,
    )
    rules = [
        r["Properties"]
        for r in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [db_sg, "GroupId"]}
    ]
    sources = {r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in rules}

    assert rules
    assert all(s.startswith(allowed_prefixes) for s in sources), sources
    assert any(s.startswith("MigrationsFunctionSecurityGroup") for s in sources)
    for prefix in functions:
        assert any(s.startswith(prefix) for s in sources), prefix
    _, sg = next(
        (n, r) for n, r in synth.resources("AWS::EC2::SecurityGroup").items() if n == db_sg
    )
    assert "SecurityGroupIngress" not in sg["Properties"]


def test_one_data_path_without_a_proxy(synth):
    """No RDS Proxy anywhere: staging and prod connect the way dev does (issue 12.6)."""
    for template in synth.templates.values():
        types = {r["Type"] for r in template["Resources"].values()}
        assert not types & {"AWS::RDS::DBProxy", "AWS::RDS::DBProxyTargetGroup"}
    for function in _app_functions(synth).values():
        env = function["Properties"]["Environment"]["Variables"]
        assert "DATABASE_HOST" not in env
        assert "DATABASE_USE_PROXY" not in env


def test_secret_rotation_per_config(synth):
    """The owner's secret rotates single-user, each login role's multi-user (it has a master)."""
    rotating = synth.deployment.config.db_rotation_days > 0
    schedules = synth.resources("AWS::SecretsManager::RotationSchedule")
    assert len(schedules) == (1 + len(_ids(synth)) if rotating else 0)
    mappings = json.dumps(synth.main_json.get("Mappings", {}))
    assert ("PostgreSQLRotationSingleUser" in mappings) is rotating
    assert ("PostgreSQLRotationMultiUser" in mappings) is rotating


# --- cache -----------------------------------------------------------------------------------


def test_cache_is_encrypted_authenticated_and_private(synth):
    config = synth.deployment.config
    _, group = _one(synth, "AWS::ElastiCache::ReplicationGroup")
    props = group["Properties"]

    assert props["TransitEncryptionEnabled"] is True
    assert props["TransitEncryptionMode"] == "required"
    assert props["AtRestEncryptionEnabled"] is True
    token = json.dumps(props["AuthToken"])
    assert "{{resolve:secretsmanager:" in token
    assert props["MultiAZEnabled"] is config.cache_multi_az
    assert props["AutomaticFailoverEnabled"] is config.cache_multi_az
    assert props["NumCacheClusters"] == (2 if config.cache_multi_az else 1)


def test_cache_lives_in_isolated_subnets(synth):
    _, group = _one(synth, "AWS::ElastiCache::SubnetGroup")
    subnet_ids = {ref["Ref"] for ref in group["Properties"]["SubnetIds"]}
    assert subnet_ids
    assert all("dataSubnet" in s for s in subnet_ids)
    routes = synth.resources("AWS::EC2::Route").values()
    data_routes = [r for r in routes if "dataSubnet" in json.dumps(r["Properties"])]
    assert data_routes == []  # no route to an internet or NAT gateway


def test_cache_security_group_admits_only_the_apps_functions(synth):
    cache_sg = _logical_id(synth, "AWS::EC2::SecurityGroup", "CacheSecurityGroup")
    rules = [
        r["Properties"]
        for r in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [cache_sg, "GroupId"]}
    ]
    sources = sorted(r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in rules)
    assert [s.rstrip("0123456789ABCDEF") for s in sources] == sorted(
        f"{id_}FunctionSecurityGroup" for id_ in _ids(synth).values()
    )
    assert all(rule["FromPort"] == rule["ToPort"] == 6380 for rule in rules)


# --- functions -------------------------------------------------------------------------------


def test_functions_run_the_image_in_the_vpc(synth):
    config = synth.deployment.config
    functions = _functions(synth)
    for fn in functions.values():
        props = fn["Properties"]
        assert props["PackageType"] == "Image"
        assert props["Architectures"] == [config.lambda_architecture]
        assert props["VpcConfig"]["SubnetIds"]
        assert "TracingConfig" not in props  # no X-Ray endpoint in the NAT-free VPC
    assert functions["migrations"]["Properties"]["ImageConfig"]["Command"] == [
        "courtside.migrate.handler"
    ]
    for name, plan in _plans(synth).items():
        props = functions[name]["Properties"]
        if name == "api":
            assert "ImageConfig" not in props  # the image's default CMD: the whole app
        else:  # the service's own entry point (courtside.lambda_services.<name>.handler)
            assert props["ImageConfig"]["Command"] == [plan.service.handler]
    same_image = {json.dumps(f["Properties"]["Code"]) for f in functions.values()}
    assert len(same_image) == 1


def test_each_function_has_its_settings_and_its_own_database_role(synth):
    config = synth.deployment.config
    for name, function in _app_functions(synth).items():
        plan = _plans(synth)[name]
        props = function["Properties"]
        env = props["Environment"]["Variables"]

        assert set(env) >= APP_ENV_VARS, name
        assert env["ENVIRONMENT"] == config.name
        assert env["BEHIND_CLOUDFRONT"] == "true"
        assert env["REDIS_TLS"] == "true"
        assert env["PUBLIC_BASE_URL"] == f"https://{config.domain_name}"
        # Its own login role's secret, never the owner's.
        role = _role_secret_prefix(plan.service.database_role)
        assert env["DATABASE_SECRET_ARN"]["Ref"].startswith(role), name
        # Only a service that signs people in holds the JWT key.
        assert ("JWT_SECRET_ARN" in env) is plan.service.signs_people_in, name
        assert props["MemorySize"] == plan.memory_mb
        assert props["Timeout"] == plan.timeout_seconds
        assert props.get("ReservedConcurrentExecutions") == plan.reserved_concurrency
        if not config.ses_enabled:
            assert not {k for k in env if k.startswith(("EMAIL_", "SES_"))}, name
    migrations_env = _functions(synth)["migrations"]["Properties"]["Environment"]["Variables"]
    assert "JWT_SECRET_ARN" not in migrations_env  # least privilege: it only needs the database
    assert migrations_env["DATABASE_SECRET_ARN"]["Ref"].startswith("DatabaseInstanceSecretAttach")
    if config.services == "all-in-one":
        assert migrations_env["APP_DATABASE_SECRET_ARN"]["Ref"].startswith(
            "DatabaseAppSecretAttach"
        )
        assert "SERVICE_DATABASE_SECRET_ARNS" not in migrations_env
    else:  # a JSON object: each service role -> its secret, whose password the migrator sets
        assert "APP_DATABASE_SECRET_ARN" not in migrations_env
        rendered = _render(migrations_env["SERVICE_DATABASE_SECRET_ARNS"])
        refs = set(re.findall(r"\$\{(\w+)\}", rendered))
        roles = set(re.findall(r'"(courtside_\w+)":', rendered))
        assert roles == {p.service.database_role for p in config.functions}
        assert {r.rstrip("0123456789ABCDEF") for r in refs} == {
            _role_secret_prefix(role) for role in roles
        }


def test_app_body_limits_fit_what_the_edge_signer_can_hash(synth):
    assert EDGE_MAX_BODY_BYTES == 1_000_000 < CLOUDFRONT_INCLUDE_BODY_CAP
    for function in _app_functions(synth).values():
        env = function["Properties"]["Environment"]["Variables"]
        # The app defaults to 5 MiB for /v1/ingest; through CloudFront only ~1 MB gets through.
        assert int(env["INGEST_MAX_BODY_BYTES"]) == EDGE_MAX_BODY_BYTES
        assert int(env["MAX_BODY_BYTES"]) <= EDGE_MAX_BODY_BYTES


def test_function_url_requires_iam_and_points_at_the_alias(synth):
    synth.main.resource_count_is("AWS::Lambda::Url", len(_ids(synth)))
    synth.main.has_resource_properties(
        "AWS::Lambda::Url", {"AuthType": "AWS_IAM", "InvokeMode": "BUFFERED", "Qualifier": "live"}
    )


def test_log_groups_have_the_environment_retention(synth):
    config = synth.deployment.config
    expected_policy = "Delete" if config.db_removal_policy == "destroy" else "Retain"
    for file_name, template in synth.templates.items():
        for name, group in template["Resources"].items():
            if group["Type"] != "AWS::Logs::LogGroup":
                continue
            assert group["Properties"]["RetentionInDays"] == config.log_retention_days, name
            assert group["DeletionPolicy"] == expected_policy, (file_name, name)
    groups = synth.resources("AWS::Logs::LogGroup")
    # flow logs, migrator, migration runner and its framework, the VPC default-SG provider,
    # CDK's LogRetention function, and each of the app's functions and its release check
    assert len(groups) == 6 + 2 * len(_ids(synth)), sorted(groups)
    for fn in _functions(synth).values():
        assert "Ref" in fn["Properties"]["LoggingConfig"]["LogGroup"]
    waf_groups = [
        g
        for g in synth.all_resources("AWS::Logs::LogGroup").values()
        if "aws-waf-logs-" in json.dumps(g["Properties"].get("LogGroupName", ""))
    ]
    assert len(waf_groups) == (1 if config.waf_enabled else 0)


def test_every_function_logs_to_a_group_with_retention(synth):
    """No function of ours or of CDK's writes to a log group that would grow forever."""
    checked = 0
    for file_name, template in synth.templates.items():
        resources = template["Resources"]
        groups = {n: r for n, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
        named = {
            json.dumps(g["Properties"].get("LogGroupName"), sort_keys=True): n
            for n, g in groups.items()
        }
        for name, fn in resources.items():
            if fn["Type"] != "AWS::Lambda::Function":
                continue
            config = fn["Properties"].get("LoggingConfig", {})
            if "LogGroup" in config:
                group = config["LogGroup"]["Ref"]
            else:  # the default /aws/lambda/<name>, created in the stack by CDK
                default = {"Fn::Join": ["", ["/aws/lambda/", {"Ref": name}]]}
                group = named.get(json.dumps(default, sort_keys=True), "")
            assert group in groups, f"{file_name}: {name} logs to a group without retention"
            days = groups[group]["Properties"]["RetentionInDays"]
            assert days == synth.deployment.config.log_retention_days, (file_name, name)
            checked += 1
    # migrator, migration runner and its framework, the VPC default-SG provider, the edge
    # function (in its us-east-1 stack), CDK's LogRetention function in each stack that sets
    # retention on groups AWS creates (main, and edge when separate), and each of the app's
    # functions and its release check
    log_retention = 2 if synth.deployment.edge else 1
    assert checked == 5 + log_retention + 2 * len(_ids(synth))


def test_each_function_reads_exactly_its_secrets(synth):
    """Its own database role's, the cache token, and the JWT key only where people sign in."""
    policies = synth.resources("AWS::IAM::Policy")
    for name, id_ in _ids(synth).items():
        plan = _plans(synth)[name]
        (policy,) = [p for n, p in policies.items() if n.startswith(f"{id_}Function")]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        secrets = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
        others = [s for s in statements if s not in secrets]
        assert len(secrets) == 1
        assert set(secrets[0]["Action"]) == {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        }
        refs = {r["Ref"].rstrip("0123456789ABCDEF") for r in secrets[0]["Resource"]}
        expected = {_role_secret_prefix(plan.service.database_role), "CacheAuthToken"}
        if plan.service.signs_people_in:
            expected.add("JwtSecret")
        assert refs == expected, name  # never the owner's (DatabaseInstanceSecret...)
        sends = synth.deployment.config.ses_enabled and plan.service.sends_email
        traces = synth.deployment.config.otel_enabled  # tests/infra/test_tracing_infra.py
        assert [s["Action"] for s in others] == (["ses:SendEmail"] if sends else []) + (
            [sorted(XRAY_WRITE_ACTIONS)] if traces else []
        ), name


POLICY_DOCUMENTS = {
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}
# Wildcard grants CDK itself writes, each scoped as narrowly as the service allows:
# (policy logical-id prefix, rendered resource pattern) -> why it is acceptable.
WILDCARD_ALLOWLIST = {
    (
        "MigrationsRunnerServiceRoleDefaultPolicy",
        r"\$\{MigrationsFunction[0-9A-F]+\.Arn\}:\*",
    ): "The runner waits for and invokes the migrator's newest version, whose number changes "
    "with every image.",
    (
        "MigrationsProviderframeworkonEventServiceRoleDefaultPolicy",
        r"\$\{MigrationsRunner[0-9A-F]+\.Arn\}:\*",
    ): "CDK's custom-resource framework may invoke any version of the one runner it fronts.",
    (
        "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicy",
        r"\*",
    ): "CDK's LogRetention function sets retention on log groups AWS services create outside "
    "the stack (RDS exports, Enhanced Monitoring, rotation functions, edge replicas in other "
    "regions); PutRetentionPolicy and DeleteRetentionPolicy only.",
    (
        r"(Api|Public|Web|Ingest)DeploymentServiceRoleDefaultPolicy",
        r"\$\{(Api|Public|Web|Ingest)ReleaseCheckFunction[0-9A-F]+\.Arn\}:\*",
    ): "CDK's grant for a deployment group's pre-traffic hook: CodeDeploy may invoke its one "
    "release-check function.",
}


def _render(value: Any) -> str:
    """A resource value as text: Fn::Join is joined, Ref/GetAtt become ${Name[.Attr]}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    return json.dumps(value, sort_keys=True)


def _is_wildcard(resource: str) -> bool:
    return resource == "*" or resource.endswith("*") or ":*" in resource


ACTIONS_WITHOUT_RESOURCES = {
    frozenset(XRAY_WRITE_ACTIONS): "Writing spans to X-Ray: its actions support no resource "
    "narrower than *; tests/infra/test_tracing_infra.py checks who holds them.",
}
"""Statements granting exactly these actions on "*" are not wildcard grants to allowlist."""


def _wildcard_grants(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(policy logical id, rendered resource) of every Allow on a wildcard resource (but
    `ACTIONS_WITHOUT_RESOURCES` on "*")."""
    found = []
    for name, resource in template["Resources"].items():
        documents = []
        if resource["Type"] in POLICY_DOCUMENTS:
            documents.append(resource["Properties"][POLICY_DOCUMENTS[resource["Type"]]])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        for document in documents:
            for statement in document["Statement"]:
                if statement.get("Effect") != "Allow":
                    continue  # a Deny on a wildcard only narrows
                actions = statement.get("Action", [])
                actions = frozenset(actions if isinstance(actions, list) else [actions])
                if statement.get("Resource") == "*" and actions in ACTIONS_WITHOUT_RESOURCES:
                    continue
                resources = statement.get("Resource", [])
                resources = resources if isinstance(resources, list) else [resources]
                found += [(name, _render(r)) for r in resources if _is_wildcard(_render(r))]
    return found


def _allowed(policy: str, resource: str) -> bool:
    return any(
        re.match(prefix, policy) and re.fullmatch(pattern, resource)
        for prefix, pattern in WILDCARD_ALLOWLIST
    )


def test_no_wildcard_resources_in_any_policy(synth):
    for file_name, template in synth.templates.items():
        for policy, resource in _wildcard_grants(template):
            assert _allowed(policy, resource), f"{file_name}: {policy} grants on {resource}"


def test_allowlisted_wildcards_are_still_needed(synths):
    """An allowlist entry nothing matches any more is removed, not kept as a loophole."""
    grants = [
        g
        for synth in synths.values()
        for t in synth.templates.values()
        for g in _wildcard_grants(t)
    ]
    for prefix, pattern in WILDCARD_ALLOWLIST:
        assert any(re.match(prefix, p) and re.fullmatch(pattern, r) for p, r in grants), prefix


@pytest.mark.parametrize(
    "resource",
    [
        "*",
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:*",
        {"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]},
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::bucket*"]]},
        "arn:aws:logs:eu-west-1:111111111111:log-group:*:log-stream",
    ],
)
def test_wildcard_check_catches_partial_wildcards(resource):
    template = {
        "Resources": {
            "ApiFunctionServiceRoleDefaultPolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": "x:Y", "Resource": resource}]
                    }
                },
            }
        }
    }

    ((policy, rendered),) = _wildcard_grants(template)
    assert not _allowed(policy, rendered)


# --- migrations ------------------------------------------------------------------------------


def test_migrations_run_after_the_database_and_before_the_api(synth):
    """The custom resource runs the migrator's new version before the API's new version and its
    alias exist, after the instance and the endpoint; no secret rotates before it (12.8)."""
    run_id, run = _one(synth, "Custom::Migrations")
    resources = synth.main_json["Resources"]
    db_id = _logical_id(synth, "AWS::RDS::DBInstance", "DatabaseInstance")
    endpoint_id = _logical_id(synth, "AWS::EC2::VPCEndpoint", "NetworkVpcSecretsManager")

    assert {db_id, endpoint_id} <= set(run["DependsOn"])
    version = run["Properties"]["MigratorVersionArn"]["Ref"]
    assert version.startswith("MigrationsFunctionCurrentVersion")
    assert resources[version]["Type"] == "AWS::Lambda::Version"
    handler = run["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
    assert handler.startswith("MigrationsProviderframeworkonEvent")
    waiting = [
        name
        for name, resource in resources.items()
        if name.startswith(
            tuple(f"{id_}{part}" for id_ in _ids(synth).values() for part in ("Function", "Live"))
        )
        and resource["Type"] in ("AWS::Lambda::Version", "AWS::Lambda::Alias")
    ]
    assert len(waiting) == 2 * len(_ids(synth))  # each function's new version and its alias
    for name in waiting:
        assert run_id in resources[name]["DependsOn"], name
    for name in synth.resources("AWS::SecretsManager::RotationSchedule"):
        assert run_id in resources[name]["DependsOn"], name
        assert name not in run["DependsOn"]  # no cycle


# --- CDN -------------------------------------------------------------------------------------


def test_distribution_is_https_only_with_tls_1_2(synth):
    config = _distribution_config(synth)
    assert config["Aliases"] == [
        synth.deployment.config.domain_name,
        *sorted(synth.deployment.config.service_aliases.values()),
    ]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}
        assert "ResponseHeadersPolicyId" in behavior
    assert len(config["Origins"]) == len(_ids(synth))  # one per function
    for origin in config["Origins"]:
        assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert "OriginAccessControlId" in origin


def test_origin_read_timeout_outlasts_every_function_timeout(synth):
    for origin in _distribution_config(synth)["Origins"]:
        read_timeout = origin["CustomOriginConfig"]["OriginReadTimeout"]
        assert read_timeout == CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS
    for function in _app_functions(synth).values():
        assert function["Properties"]["Timeout"] <= CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS


def test_origin_access_control_signs_every_request(synth):
    synth.main.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": {
                "OriginAccessControlOriginType": "lambda",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    )


def test_cloudfront_may_invoke_the_alias_url_both_ways(synth):
    """Both actions (aws-cdk#35872), for this distribution only, on the alias: resource
    policies are per qualifier."""
    distribution = _one(synth, "AWS::CloudFront::Distribution")[0]
    permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cloudfront.amazonaws.com"
    ]
    aliases = []
    for id_ in _ids(synth).values():
        alias_id = _logical_id(synth, "AWS::Lambda::Alias", f"{id_}Live")
        aliases.append({"Ref": alias_id})
        on_alias = [p for p in permissions if p["FunctionName"] == {"Ref": alias_id}]
        assert {p["Action"] for p in on_alias} == {
            "lambda:InvokeFunction",
            "lambda:InvokeFunctionUrl",
        }
    assert {p["Action"] for p in permissions} == {
        "lambda:InvokeFunctionUrl",
        "lambda:InvokeFunction",
    }
    for permission in permissions:
        # On an alias, by its Ref or its URL's (alias-qualified) FunctionArn; never the
        # unqualified function.
        target = permission["FunctionName"]
        assert target in aliases or (
            target.get("Fn::GetAtt", [""])[0].startswith(
                tuple(f"{a['Ref'].rstrip('0123456789ABCDEF')}FunctionUrl" for a in aliases)
            )
            and target["Fn::GetAtt"][1] == "FunctionArn"
        ), target
        assert distribution in json.dumps(permission["SourceArn"])
        if permission["Action"] == "lambda:InvokeFunction":
            assert permission["InvokedViaFunctionUrl"] is True


def test_dynamic_behaviours_sign_payloads_and_forward_the_viewer_except_host(synth):
    config = _distribution_config(synth)
    behaviors = _behaviors(synth)
    dynamic_paths = [*PRIVATE_PATHS, *SERVICE_PATHS, *PUBLIC_ROUTE_GROUPS, "/v1/*"]
    dynamic = [config["DefaultCacheBehavior"], *(behaviors[p] for p in dynamic_paths)]
    for behavior in dynamic:
        assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
        assert len(behavior["AllowedMethods"]) == 7
        (edge,) = behavior["LambdaFunctionAssociations"]
        assert edge["EventType"] == "origin-request"
        assert edge["IncludeBody"] is True
        (fn,) = behavior["FunctionAssociations"]
        assert fn["EventType"] == "viewer-request"


def test_host_header_is_never_forwarded(synth):
    for template in synth.templates.values():
        text = json.dumps(template)
        assert ALL_VIEWER not in text
        for policy in (
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::CloudFront::OriginRequestPolicy"
        ):
            headers = policy["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
            assert "host" not in [h.lower() for h in headers.get("Headers", [])]
            assert headers["HeaderBehavior"] != "allViewer"


def test_private_routes_pages_and_unlisted_api_routes_are_never_cached(synth):
    config = _distribution_config(synth)
    behaviors = _behaviors(synth)
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED  # HTML pages
    for path in [*PRIVATE_PATHS, "/v1/me", "/v1/admin", "/v1/ingest", *SERVICE_PATHS, "/v1/*"]:
        assert behaviors[path]["CachePolicyId"] == CACHING_DISABLED, path
    # More specific patterns must come before /v1/* (CloudFront takes the first match).
    order = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert order[-1] == "/v1/*"
    assert all(order.index(p) < order.index(g) for p in PRIVATE_PATHS for g in PUBLIC_ROUTE_GROUPS)


def test_public_api_groups_key_only_on_their_allow_listed_query_strings(synth):
    """`?x=<random>` is not in any cache key: junk parameters hit the cache (issue 12.3)."""
    behaviors = _behaviors(synth)
    resources = synth.main_json["Resources"]
    for path, query_strings in PUBLIC_ROUTE_GROUPS.items():
        behavior = behaviors[path]
        policy = resources[behavior["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        keys = policy["ParametersInCacheKeyAndForwardedToOrigin"]

        assert policy["MinTTL"] == 0
        assert policy["DefaultTTL"] == 0  # nothing cached unless the origin says so
        assert policy["MaxTTL"] > 0
        assert keys["QueryStringsConfig"] == {
            "QueryStringBehavior": "whitelist",
            "QueryStrings": sorted(query_strings),
        }, path
        assert keys["HeadersConfig"]["HeaderBehavior"] == "none"
        assert keys["CookiesConfig"]["CookieBehavior"] == "none"
        assert behavior["CachedMethods"] == ["GET", "HEAD"]
    # One policy per distinct allow-list (CloudFront allows 20 custom policies per account).
    used = {behaviors[p]["CachePolicyId"]["Ref"] for p in PUBLIC_ROUTE_GROUPS}
    assert len(used) == len({tuple(sorted(q)) for q in PUBLIC_ROUTE_GROUPS.values()})


def test_static_files_are_cached_as_the_origin_says_without_query_strings(synth):
    behavior = _behaviors(synth)["/static/*"]
    policy = synth.main_json["Resources"][behavior["CachePolicyId"]["Ref"]]["Properties"]
    config = policy["CachePolicyConfig"]
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert config["MaxTTL"] >= 365 * 24 * 3600  # immutable, content-hashed URLs: a year
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "none"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert "LambdaFunctionAssociations" not in behavior


def test_security_headers(synth):
    synth.main.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": Match.object_like(
                    {
                        "StrictTransportSecurity": Match.object_like(
                            {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True}
                        ),
                        "ContentTypeOptions": {"Override": True},
                        "FrameOptions": {"FrameOption": "DENY", "Override": True},
                        "ReferrerPolicy": Match.object_like({}),
                    }
                )
            }
        },
    )


def test_certificate_is_dns_validated_in_us_east_1(synth):
    config = synth.deployment.config
    template = synth.edge
    assert template is not None
    template.has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {
            "DomainName": config.domain_name,
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [
                {"DomainName": config.domain_name, "HostedZoneId": config.hosted_zone_id}
            ],
        },
    )
    synth.main.resource_count_is("AWS::CertificateManager::Certificate", 0)
    viewer = _distribution_config(synth)["ViewerCertificate"]
    assert viewer["AcmCertificateArn"]["Fn::GetStackOutput"]["Region"] == "us-east-1"


def test_alias_records_for_ipv4_and_ipv6(synth):
    config = synth.deployment.config
    distribution = _one(synth, "AWS::CloudFront::Distribution")[0]
    for record_type in ("A", "AAAA"):
        synth.main.has_resource_properties(
            "AWS::Route53::RecordSet",
            {
                "Name": f"{config.domain_name}.",
                "Type": record_type,
                "HostedZoneId": config.hosted_zone_id,
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": [distribution, "DomainName"]},
                    "HostedZoneId": Match.any_value(),
                },
            },
        )


def test_outputs(synth):
    outputs = synth.main_json["Outputs"]
    per_function = ("FunctionName", "DeploymentGroupName", "DatabaseSecretArn")
    if synth.deployment.config.services == "all-in-one":  # the names from before the split
        functions = ["FunctionName", "DeploymentGroupName", "AppDatabaseSecretArn"]
    else:
        functions = [f"{id_}{o}" for id_ in _ids(synth).values() for o in per_function]
    for name in (
        "SiteUrl",
        "DistributionId",
        *functions,
        "MigrationFunctionName",
        "DatabaseEndpoint",
        "DatabaseSecretArn",
        "CacheAuthSecretArn",
        "JwtSecretArn",
    ):
        assert name in outputs, name
    assert outputs["SiteUrl"]["Value"] == f"https://{synth.deployment.config.domain_name}"


def test_environments_differ_where_configured(synths):
    assert set(synths) == set(ENVIRONMENT_NAMES)
    sizes = {
        n: _one(s, "AWS::RDS::DBInstance")[1]["Properties"]["DBInstanceClass"]
        for n, s in synths.items()
    }
    assert sizes == {n: f"db.{s.deployment.config.db_instance_class}" for n, s in synths.items()}


# --- a us-east-1 environment and cdk-nag's teeth ---------------------------------------------


def test_us_east_1_environment_is_one_stack(synthesize_env, cli_context):
    context = json.loads(json.dumps(cli_context))
    context["courtside:environments"]["staging"]["region"] = "us-east-1"
    account = context["courtside:environments"]["staging"]["account"]
    context[f"availability-zones:account={account}:region=us-east-1"] = ["us-east-1a", "us-east-1b"]

    synth = synthesize_env("staging", context, nag=False)

    assert synth.deployment.edge is None
    assert synth.deployment.edge_alarms is None
    assert sorted(synth.templates) == ["Courtside-staging.template.json"]
    synth.main.resource_count_is("AWS::CertificateManager::Certificate", 1)
    synth.main.resource_count_is("AWS::CloudFront::Distribution", 1)
    synth.main.resource_count_is("AWS::WAFv2::WebACL", 1)
    synth.main.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "sign_payload.handler", "Runtime": "python3.13"}
    )
    # CloudFront's alarm lives with the rest, on the same topic.
    synth.main.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"Namespace": "AWS/CloudFront", "MetricName": "5xxErrorRate"}
    )


def test_cdk_nag_fails_synthesis_on_an_unacknowledged_finding(cli_context, tmp_path):
    from aws_cdk import aws_sqs

    from infra.application import build, new_app

    app = new_app(context={**cli_context, "env": "dev"}, outdir=str(tmp_path))
    deployment = build(app)
    aws_sqs.Queue(
        deployment.main, "UnencryptedQueue", encryption=aws_sqs.QueueEncryption.UNENCRYPTED
    )

    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    assert "UnencryptedQueue" in str(failure.value)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert rules == {"AwsSolutions-SQS2", "AwsSolutions-SQS3", "AwsSolutions-SQS4"}


# --- cdk-nag acknowledgements ----------------------------------------------------------------


def _acknowledgements(synth) -> dict[tuple[str, str, str], str]:
    """(stack, construct path below it, rule) -> reason, for each AwsSolutions acknowledgement."""
    found = {}
    for construct in synth.deployment.main.node.root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != "aws:cdk:acknowledged-rules":
                continue
            for rule, reason in entry.data.items():
                if rule.startswith("AwsSolutions::"):
                    stack, path = construct.node.path.split("/", 1)
                    found[(stack, path, rule.removeprefix("AwsSolutions::AwsSolutions-"))] = reason
    return found


def test_every_acknowledgement_is_expected_and_explained(synth):
    config = synth.deployment.config
    managed = "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{}]"
    basic = managed.format("AWSLambdaBasicExecutionRole")
    vpc = managed.format("AWSLambdaVPCAccessExecutionRole")
    codedeploy = managed.format("AWSCodeDeployRoleForLambdaLimited")
    main = synth.deployment.main.stack_name
    edge = synth.deployment.edge.stack_name if synth.deployment.edge else main
    functions = _ids(synth).values()
    expected = {
        (main, "Network/Vpc/SecretsManager", "EC23"),
        (main, "Database/Instance", "RDS11"),
        (main, "Cache/AuthToken", "SMG4"),
        (main, "JwtSecret", "SMG4"),
        *((main, f"{id_}/Function/Function", basic) for id_ in functions),
        *((main, f"{id_}/Function/Function", vpc) for id_ in functions),
        *((main, f"{id_}/Deployment", codedeploy) for id_ in functions),
        (main, "Migrations/Function/Function", basic),
        (main, "Migrations/Function/Function", vpc),
        (main, "Migrations/Runner", basic),
        (main, "Migrations/Provider/framework-onEvent", basic),
        (edge, "SignPayload/Function/Fn", basic),
        (edge, "SignPayload/Function/Fn", "L1"),
        (main, "Cdn/AccessLogs", "S1"),
        (main, "Cdn/Distribution", "CFR1"),
        *((main, f"{id_}/ReleaseCheck/Function", basic) for id_ in functions),
        *((stack, LOG_RETENTION_FUNCTION_ID, basic) for stack in {main, edge}),
        *((stack, LOG_RETENTION_FUNCTION_ID, "IAM5[Resource::*]") for stack in {main, edge}),
    }
    if config.db_monitoring_interval_seconds:
        expected.add(
            (
                main,
                "Database/Instance/MonitoringRole",
                managed.format("AmazonRDSEnhancedMonitoringRole"),
            )
        )
    found = _acknowledgements(synth)
    wildcards = {(s, p, r) for s, p, r in found if r.startswith("IAM5")}
    pattern = re.compile(r"IAM5\[Resource::<(\w+?)[0-9A-F]{8}\.Arn>:\*\]")
    granted = {(p, m.group(1)) for _, p, r in wildcards if (m := pattern.fullmatch(r))}
    assert granted == {
        ("Migrations/Runner", "MigrationsFunction"),
        ("Migrations/Provider/framework-onEvent", "MigrationsRunner"),
        *((f"{id_}/Deployment", f"{id_}ReleaseCheckFunction") for id_ in functions),
    }
    # The X-Ray write actions (infra/tracing.py): on each traced function only (CDK's
    # LogRetention function, expected above, is the other unscoped wildcard).
    unscoped = {
        (p, r)
        for _, p, r in wildcards
        if not pattern.fullmatch(r) and p != LOG_RETENTION_FUNCTION_ID
    }
    traced = config.otel_enabled
    assert unscoped == (
        {(f"{id_}/Function/Function", "IAM5[Resource::*]") for id_ in functions}
        if traced
        else set()
    )
    expected |= wildcards
    if traced:
        expected.add((main, "Network/Vpc/XRay", "EC23"))
    if config.db_rotation_days == 0:
        expected.add((main, "Database/Instance/Secret", "SMG4"))
        for role in {p.service.database_role for p in config.functions}:
            label = _role_secret_prefix(role).removeprefix("Database").removesuffix("Attachment")
            expected.add((main, f"Database/{label}", "SMG4"))
    if config.ses_enabled:
        expected.add((main, "Network/Vpc/Ses", "EC23"))
    if not config.db_multi_az:
        expected.add((main, "Database/Instance", "RDS3"))
    if not config.db_deletion_protection:
        expected.add((main, "Database/Instance", "RDS10"))
    if not config.cache_multi_az:
        expected.add((main, "Cache/ReplicationGroup", "AEC4"))
    if not config.waf_enabled:
        expected.add((main, "Cdn/Distribution", "CFR2"))

    assert set(found) == expected
    for key, reason in found.items():
        assert len(reason) >= 60, f"{key}: a specific reason, please ({reason!r})"
