"""Every environment's stacks, asserted on the synthesized CloudFormation (aws_cdk.assertions)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from cdn.infrastructure import EDGE_MAX_BODY_BYTES
from infra.config import CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS, ENVIRONMENT_NAMES

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"  # forwards Host: must never be used
PRIVATE_PATHS = ["/token", "/v1/me/*", "/v1/admin/*", "/v1/ingest/*"]
APP_ENV_VARS = {
    "ENVIRONMENT",
    "DATABASE_SECRET_ARN",
    "DATABASE_NAME",
    "DATABASE_USE_PROXY",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_TLS",
    "REDIS_AUTH_SECRET_ARN",
    "JWT_SECRET_ARN",
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


def _functions(synth) -> dict[str, dict[str, Any]]:
    """The app's two container functions, by role: api and migrations."""
    functions = {}
    for name, resource in synth.resources("AWS::Lambda::Function").items():
        if "ImageUri" not in resource["Properties"]["Code"]:
            continue
        functions["migrations" if name.startswith("Migrations") else "api"] = resource
    assert set(functions) == {"api", "migrations"}
    return functions


def _logical_id(synth, type_: str, prefix: str) -> str:
    ids = [name for name in synth.resources(type_) if name.startswith(prefix)]
    assert len(ids) == 1, (type_, prefix, ids)
    return str(ids[0])


# --- synthesis itself ------------------------------------------------------------------------


def test_every_environment_synthesizes_its_stacks(synths):
    for name, synth in synths.items():
        config = synth.deployment.config
        names = sorted(synth.templates)
        assert f"Courtside-{name}.template.json" in names
        has_cert_stack = f"Courtside-{name}-Certificate.template.json" in names
        assert has_cert_stack is config.needs_certificate_stack
        # EdgeFunction's own us-east-1 stack when the environment is elsewhere.
        assert any(n.startswith("edge-lambda-stack-") for n in names) is (
            config.region != "us-east-1"
        )


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
    if synth.deployment.certificate is not None:
        assert synth.deployment.certificate.region == "us-east-1"


# --- network ---------------------------------------------------------------------------------


def test_vpc_spans_two_azs_with_flow_logs(synth):
    subnets = synth.resources("AWS::EC2::Subnet").values()
    azs = {s["Properties"]["AvailabilityZone"] for s in subnets}
    assert len(azs) == 2
    public = [
        n
        for n, s in synth.resources("AWS::EC2::Subnet").items()
        if s["Properties"].get("MapPublicIpOnLaunch")
    ]
    # Public subnets exist only to hold NAT gateways.
    assert all(n.startswith("NetworkVpcpublicSubnet") for n in public)
    assert bool(public) is (synth.deployment.config.nat_gateways > 0)
    synth.main.has_resource_properties(
        "AWS::EC2::FlowLog", {"ResourceType": "VPC", "TrafficType": "ALL"}
    )


def test_nat_per_config_and_a_secrets_manager_endpoint(synth):
    config = synth.deployment.config
    synth.main.resource_count_is("AWS::EC2::NatGateway", config.nat_gateways)
    if config.nat_gateways == 0:
        synth.main.resource_count_is("AWS::EC2::InternetGateway", 0)
    synth.main.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "ServiceName": f"com.amazonaws.{config.region}.secretsmanager",
            "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": True,
        },
    )


def test_no_security_group_is_open_to_the_internet(synth):
    for name, sg in synth.resources("AWS::EC2::SecurityGroup").items():
        for rule in sg["Properties"].get("SecurityGroupIngress", []):
            assert rule.get("CidrIp") != "0.0.0.0/0", name
            assert rule.get("CidrIpv6") != "::/0", name
    for name, rule in synth.resources("AWS::EC2::SecurityGroupIngress").items():
        assert "CidrIp" not in rule["Properties"], name


# --- database --------------------------------------------------------------------------------


def test_database_is_encrypted_private_and_current(synth):
    synth.main.has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "Engine": "postgres",
            "EngineVersion": Match.string_like_regexp(r"^17\.\d+$"),
            "StorageEncrypted": True,
            "PubliclyAccessible": False,
            "DBName": "courtside",
            "MasterUserPassword": Match.object_like(
                {"Fn::Join": ["", Match.array_with(["{{resolve:secretsmanager:"])]}
            ),
        },
    )


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
    allowed_prefixes = (
        "ApiSecurityGroup",
        "MigrationsSecurityGroup",
        "DatabaseProxySecurityGroup",
        "DatabaseInstanceRotationSingleUserSecurityGroup",
    )
    rules = [
        r["Properties"]
        for r in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [db_sg, "GroupId"]}
    ]
    sources = {r["SourceSecurityGroupId"]["Fn::GetAtt"][0] for r in rules}

    assert rules
    assert all(s.startswith(allowed_prefixes) for s in sources), sources
    assert any(s.startswith("MigrationsSecurityGroup") for s in sources)
    # The API reaches the database directly, or through the proxy when there is one.
    via = (
        "DatabaseProxySecurityGroup" if synth.deployment.config.db_use_proxy else "ApiSecurityGroup"
    )
    assert any(s.startswith(via) for s in sources)
    _, sg = next(
        (n, r) for n, r in synth.resources("AWS::EC2::SecurityGroup").items() if n == db_sg
    )
    assert "SecurityGroupIngress" not in sg["Properties"]


def test_rds_proxy_only_when_configured(synth):
    config = synth.deployment.config
    synth.main.resource_count_is("AWS::RDS::DBProxy", 1 if config.db_use_proxy else 0)
    api_env = _functions(synth)["api"]["Properties"]["Environment"]["Variables"]
    assert api_env["DATABASE_USE_PROXY"] == ("true" if config.db_use_proxy else "false")
    assert ("DATABASE_HOST" in api_env) is config.db_use_proxy
    if config.db_use_proxy:
        synth.main.has_resource_properties("AWS::RDS::DBProxy", {"RequireTLS": True})


def test_secret_rotation_per_config(synth):
    rotating = synth.deployment.config.db_rotation_days > 0
    synth.main.resource_count_is("AWS::SecretsManager::RotationSchedule", 1 if rotating else 0)


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


def test_cache_security_group_admits_only_the_api(synth):
    cache_sg = _logical_id(synth, "AWS::EC2::SecurityGroup", "CacheSecurityGroup")
    rules = [
        r["Properties"]
        for r in synth.resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [cache_sg, "GroupId"]}
    ]
    assert len(rules) == 1
    assert rules[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("ApiSecurityGroup")
    assert rules[0]["FromPort"] == rules[0]["ToPort"] == 6380


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
    assert "ImageConfig" not in functions["api"]["Properties"]  # the image's default CMD
    same_image = {json.dumps(f["Properties"]["Code"]) for f in functions.values()}
    assert len(same_image) == 1


def test_api_function_settings(synth):
    config = synth.deployment.config
    props = _functions(synth)["api"]["Properties"]
    env = props["Environment"]["Variables"]

    assert set(env) >= APP_ENV_VARS
    assert env["ENVIRONMENT"] == config.name
    assert env["BEHIND_CLOUDFRONT"] == "true"
    assert env["REDIS_TLS"] == "true"
    assert env["PUBLIC_BASE_URL"] == f"https://{config.domain_name}"
    assert props["MemorySize"] == config.lambda_memory_mb
    assert props["Timeout"] == config.lambda_timeout_seconds
    assert props.get("ReservedConcurrentExecutions") == config.reserved_concurrency
    migrations_env = _functions(synth)["migrations"]["Properties"]["Environment"]["Variables"]
    assert "JWT_SECRET_ARN" not in migrations_env  # least privilege: it only needs the database
    assert migrations_env["DATABASE_USE_PROXY"] == "false"


def test_app_body_limits_fit_what_the_edge_signer_can_hash(synth):
    env = _functions(synth)["api"]["Properties"]["Environment"]["Variables"]

    assert EDGE_MAX_BODY_BYTES == 1_000_000 < CLOUDFRONT_INCLUDE_BODY_CAP
    # The app defaults to 5 MiB for /v1/ingest; through CloudFront only ~1 MB gets through.
    assert int(env["INGEST_MAX_BODY_BYTES"]) == EDGE_MAX_BODY_BYTES
    assert int(env["MAX_BODY_BYTES"]) <= EDGE_MAX_BODY_BYTES


def test_function_url_requires_iam(synth):
    synth.main.resource_count_is("AWS::Lambda::Url", 1)
    synth.main.has_resource_properties(
        "AWS::Lambda::Url", {"AuthType": "AWS_IAM", "InvokeMode": "BUFFERED"}
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
    # flow logs, API, migrations, and the three CDK provider functions of the main stack
    assert len(groups) == 6, sorted(groups)
    functions = _functions(synth)
    for fn in functions.values():
        assert "Ref" in fn["Properties"]["LoggingConfig"]["LogGroup"]


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
    edge = synth.deployment.config.region != "us-east-1"
    # API, migrations, 3 providers (VPC default SG, trigger, edge ARN reader), edge function
    assert checked == (6 if edge else 5)


def test_alarms_on_errors_throttles_and_p99_duration(synth):
    alarms = synth.resources("AWS::CloudWatch::Alarm").values()
    api_alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in alarms
        if a["Properties"]["Namespace"] == "AWS/Lambda"
    }
    assert set(api_alarms) == {"Errors", "Throttles", "Duration"}
    assert api_alarms["Duration"]["ExtendedStatistic"] == "p99"
    timeout_ms = synth.deployment.config.lambda_timeout_seconds * 1000
    assert api_alarms["Duration"]["Threshold"] < timeout_ms


def test_every_alarm_notifies_the_environment_topic(synth):
    topic_id, _ = _one(synth, "AWS::SNS::Topic")
    alarms = synth.resources("AWS::CloudWatch::Alarm")

    assert len(alarms) >= 5  # API errors, throttles, p99 duration; database CPU, storage
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props.get("AlarmActions") == [{"Ref": topic_id}], name
        assert props.get("OKActions") == [{"Ref": topic_id}], name
        assert props.get("ActionsEnabled", True) is True, name
    assert topic_id.startswith("AlarmsTopic")


def test_alarm_topic_is_encrypted_and_tls_only(synth):
    topic_id, topic = _one(synth, "AWS::SNS::Topic")
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synth.main_json["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    cloudwatch = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}

    _, policy = _one(synth, "AWS::SNS::TopicPolicy")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    assert {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= next(s for s in statements if s["Effect"] == "Deny").items()
    publish = next(s for s in statements if s["Effect"] == "Allow")
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":alarm:*")
    # No address in the committed config: no subscription.
    synth.main.resource_count_is("AWS::SNS::Subscription", 0)


def test_alarm_email_is_subscribed_when_configured(synthesize_env, cli_context):
    context = json.loads(json.dumps(cli_context))
    context["courtside:environments"]["prod"]["alarm_email"] = "on-call@example.com"

    synth = synthesize_env("prod", context)

    topic_id, _ = _one(synth, "AWS::SNS::Topic")
    synth.main.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "on-call@example.com", "TopicArn": {"Ref": topic_id}},
    )


def test_api_reads_exactly_its_secrets(synth):
    role_policies = [
        p for n, p in synth.resources("AWS::IAM::Policy").items() if n.startswith("ApiFunction")
    ]
    assert len(role_policies) == 1
    statements = role_policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert len(statements) == 1
    assert set(statements[0]["Action"]) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    refs = {r["Ref"] for r in statements[0]["Resource"]}
    assert len(refs) == 3
    assert any(r.startswith("DatabaseInstanceSecret") for r in refs)
    assert any(r.startswith("CacheAuthToken") for r in refs)
    assert any(r.startswith("JwtSecret") for r in refs)


# Policies whose statements grant on resources (KMS key policies are left out: their "*" means
# "this key").
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
        "AWSCDKTriggerCustomResourceProviderCustomResourceProviderRole",
        r"\$\{MigrationsFunction[0-9A-F]+\.Arn\}:\*",
    ): "triggers.Trigger may invoke any version of the one migration function: the version it "
    "runs changes with every image.",
    (
        "CustomCrossRegionStringParameterReaderCustomResourceProviderRole",
        r"arn:aws:ssm:us-east-1:\d{12}:parameter/cdk/EdgeFunctionArn/\*",
    ): "EdgeFunction's reader gets the edge function's version ARN from the SSM parameters CDK "
    "writes under this prefix in us-east-1; the exact name is only known to the edge stack.",
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


def _wildcard_grants(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(policy logical id, rendered resource) of every Allow on a wildcard resource."""
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
                resources = statement.get("Resource", [])
                resources = resources if isinstance(resources, list) else [resources]
                found += [(name, _render(r)) for r in resources if _is_wildcard(_render(r))]
    return found


def _allowed(policy: str, resource: str) -> bool:
    return any(
        policy.startswith(prefix) and re.fullmatch(pattern, resource)
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
        assert any(p.startswith(prefix) and re.fullmatch(pattern, r) for p, r in grants), prefix


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
    trigger_id, trigger = _one(synth, "Custom::Trigger")
    db_id = _logical_id(synth, "AWS::RDS::DBInstance", "DatabaseInstance")
    endpoint_id = _logical_id(synth, "AWS::EC2::VPCEndpoint", "NetworkVpcSecretsManager")
    api_id = next(
        n for n in synth.resources("AWS::Lambda::Function") if n.startswith("ApiFunction")
    )

    assert db_id in trigger["DependsOn"]
    assert endpoint_id in trigger["DependsOn"]
    assert trigger_id in synth.main_json["Resources"][api_id]["DependsOn"]
    props = trigger["Properties"]
    assert props["ExecuteOnHandlerChange"] in ("true", True)
    assert props["InvocationType"] == "RequestResponse"
    # Bound to the function's current version, which changes with every new image.
    version = props["HandlerArn"]["Ref"]
    assert version.startswith("MigrationsFunctionCurrentVersion")
    assert synth.main_json["Resources"][version]["Type"] == "AWS::Lambda::Version"


# --- CDN -------------------------------------------------------------------------------------


def test_distribution_is_https_only_with_tls_1_2(synth):
    config = _distribution_config(synth)
    assert config["Aliases"] == [synth.deployment.config.domain_name]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behavior in behaviors:
        assert behavior["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}
        assert "ResponseHeadersPolicyId" in behavior
    (origin,) = config["Origins"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginAccessControlId" in origin


def test_origin_read_timeout_outlasts_the_function_timeout(synth):
    (origin,) = _distribution_config(synth)["Origins"]
    read_timeout = origin["CustomOriginConfig"]["OriginReadTimeout"]

    assert read_timeout == CLOUDFRONT_ORIGIN_READ_TIMEOUT_SECONDS
    assert synth.deployment.config.lambda_timeout_seconds <= read_timeout


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


def test_cloudfront_may_invoke_the_function_url_both_ways(synth):
    distribution = _one(synth, "AWS::CloudFront::Distribution")[0]
    permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cloudfront.amazonaws.com"
    ]
    actions = {p["Action"] for p in permissions}

    assert actions == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}  # aws-cdk#35872
    for permission in permissions:
        assert distribution in json.dumps(permission["SourceArn"])
        if permission["Action"] == "lambda:InvokeFunction":
            assert permission["InvokedViaFunctionUrl"] is True


def test_dynamic_behaviours_sign_payloads_and_forward_the_viewer_except_host(synth):
    config = _distribution_config(synth)
    behaviors = _behaviors(synth)
    dynamic = [config["DefaultCacheBehavior"], *(behaviors[p] for p in [*PRIVATE_PATHS, "/v1/*"])]
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


def test_private_routes_and_pages_are_never_cached(synth):
    config = _distribution_config(synth)
    behaviors = _behaviors(synth)
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED
    for path in [*PRIVATE_PATHS, "/v1/me", "/v1/admin", "/v1/ingest"]:
        assert behaviors[path]["CachePolicyId"] == CACHING_DISABLED, path
    # More specific patterns must come before /v1/* (CloudFront takes the first match).
    order = [b["PathPattern"] for b in config["CacheBehaviors"]]
    assert all(order.index(p) < order.index("/v1/*") for p in PRIVATE_PATHS)


def test_public_api_cache_honours_origin_and_keys_on_query_string(synth):
    behavior = _behaviors(synth)["/v1/*"]
    policy_id = behavior["CachePolicyId"]["Ref"]
    policy = synth.main_json["Resources"][policy_id]["Properties"]["CachePolicyConfig"]
    keys = policy["ParametersInCacheKeyAndForwardedToOrigin"]

    assert policy["MinTTL"] == 0
    assert policy["DefaultTTL"] == 0  # nothing cached unless the origin says so
    assert policy["MaxTTL"] > 0
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert keys["HeadersConfig"]["HeaderBehavior"] == "none"
    assert keys["CookiesConfig"]["CookieBehavior"] == "none"
    assert behavior["CachedMethods"] == ["GET", "HEAD"]


def test_static_files_are_cached(synth):
    behavior = _behaviors(synth)["/static/*"]
    policy = synth.main_json["Resources"][behavior["CachePolicyId"]["Ref"]]["Properties"]
    assert policy["CachePolicyConfig"]["DefaultTTL"] > 0
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]


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
    template = synth.certificate
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
    for name in (
        "SiteUrl",
        "DistributionId",
        "FunctionName",
        "DatabaseEndpoint",
        "DatabaseSecretArn",
    ):
        assert name in outputs
    assert outputs["SiteUrl"]["Value"] == f"https://{synth.deployment.config.domain_name}"


def test_environments_differ_where_configured(synths):
    assert set(synths) == set(ENVIRONMENT_NAMES)
    sizes = {
        n: _one(s, "AWS::RDS::DBInstance")[1]["Properties"]["DBInstanceClass"]
        for n, s in synths.items()
    }
    assert sizes == {n: f"db.{s.deployment.config.db_instance_class}" for n, s in synths.items()}


# --- a us-east-1 environment and cdk-nag's teeth ---------------------------------------------


def test_us_east_1_environment_needs_no_certificate_stack(synthesize_env, cli_context):
    context = json.loads(json.dumps(cli_context))
    context["courtside:environments"]["dev"]["region"] = "us-east-1"
    account = context["courtside:environments"]["dev"]["account"]
    context[f"availability-zones:account={account}:region=us-east-1"] = ["us-east-1a", "us-east-1b"]

    synth = synthesize_env("dev", context, nag=False)

    assert synth.deployment.certificate is None
    assert sorted(synth.templates) == ["Courtside-dev.template.json"]
    synth.main.resource_count_is("AWS::CertificateManager::Certificate", 1)
    # The edge function lives in the environment's own stack when that is in us-east-1.
    synth.main.resource_count_is("AWS::CloudFront::Distribution", 1)
    synth.main.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "sign_payload.handler", "Runtime": "python3.13"}
    )


def test_cdk_nag_fails_synthesis_on_an_unacknowledged_finding(cli_context, tmp_path):
    from aws_cdk import App, aws_sqs

    from infra.application import build

    app = App(context={**cli_context, "env": "dev"}, outdir=str(tmp_path))
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


def _acknowledgements(synth) -> dict[tuple[str, str], str]:
    """(construct path below the stack, rule) -> reason, for each AwsSolutions acknowledgement."""
    found = {}
    for construct in synth.deployment.main.node.root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != "aws:cdk:acknowledged-rules":
                continue
            for rule, reason in entry.data.items():
                if rule.startswith("AwsSolutions::"):
                    path = construct.node.path.split("/", 1)[1]
                    found[(path, rule.removeprefix("AwsSolutions::AwsSolutions-"))] = reason
    return found


def test_every_acknowledgement_is_expected_and_explained(synth):
    config = synth.deployment.config
    managed = "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{}]"
    basic = managed.format("AWSLambdaBasicExecutionRole")
    vpc = managed.format("AWSLambdaVPCAccessExecutionRole")
    expected = {
        ("Network/Vpc/SecretsManager", "EC23"),
        ("Database/Instance", "RDS11"),
        ("Cache/AuthToken", "SMG4"),
        ("JwtSecret", "SMG4"),
        ("Api/Function", basic),
        ("Api/Function", vpc),
        ("Migrations/Function", basic),
        ("Migrations/Function", vpc),
        ("SignPayload", basic),
        ("SignPayload", "L1"),
        ("Cdn/AccessLogs", "S1"),
        ("Cdn/Distribution", "CFR1"),
        ("Cdn/Distribution", "CFR2"),
    }
    if config.db_rotation_days == 0:
        expected.add(("Database/Instance/Secret", "SMG4"))
    if not config.db_multi_az:
        expected.add(("Database/Instance", "RDS3"))
    if not config.db_deletion_protection:
        expected.add(("Database/Instance", "RDS10"))
    if not config.cache_multi_az:
        expected.add(("Cache/ReplicationGroup", "AEC4"))

    found = _acknowledgements(synth)

    assert set(found) == expected
    for key, reason in found.items():
        assert len(reason) >= 60, f"{key}: a specific reason, please ({reason!r})"
