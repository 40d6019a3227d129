"""Tracing on AWS, asserted on the synthesized templates and the cloud assembly: the image a
traced function runs has the OpenTelemetry packages, its settings are ones the app accepts, its
spans leave the NAT-free VPC through an X-Ray endpoint, it may write spans and nothing more, and
CloudWatch Transaction Search is on where the stack owns it."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from api.infrastructure import TRACING_BUILD_ARG
from courtside.tracing.settings import TracingSettings
from infra.config import CONTEXT_KEY, ConfigError, load_config
from infra.tracing import INDEXED_PERCENT, XRAY_WRITE_ACTIONS
from tests.infra.test_infra_stacks import _functions, _ids, _plans, _render

TRACING_SETTINGS = {name.upper() for name in TracingSettings.model_fields} | {"OTEL_ENABLED"}


def _env(function: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def _image_build_args(synth, function: dict[str, Any]) -> dict[str, str]:
    """The Docker build arguments of the image asset `function` runs (the cloud assembly's
    asset manifest, keyed by the hash in its ImageUri)."""
    uri = _render(function["Properties"]["Code"]["ImageUri"])
    (digest,) = re.findall(r"[0-9a-f]{64}", uri)
    manifest = json.loads(
        (synth.outdir / f"{synth.deployment.main.stack_name}.assets.json").read_text()
    )
    source: dict[str, Any] = manifest["dockerImages"][digest]["source"]
    return dict(source.get("dockerBuildArgs", {}))


def test_committed_environments_trace_in_staging_and_prod(synths):
    traced = {name for name, synth in synths.items() if synth.deployment.config.otel_enabled}
    assert traced == {"staging", "prod"}


def test_a_function_traces_only_from_an_image_built_with_the_tracing_packages(synth):
    """The infra and the image agree: OTEL_ENABLED=true only where WITH_OTEL=true built the
    image (the app refuses to start otherwise); the migrator never traces."""
    config = synth.deployment.config
    functions = _functions(synth)
    for name, function in functions.items():
        build_args = _image_build_args(synth, function)
        env = _env(function)
        if name == "migrations":
            assert not {key for key in env if key.startswith("OTEL_")}
        else:
            assert env["OTEL_ENABLED"] == ("true" if config.otel_enabled else "false"), name
        if env.get("OTEL_ENABLED") == "true":
            assert build_args.get(TRACING_BUILD_ARG) == "true", name
    if config.otel_enabled:
        assert all(
            _image_build_args(synth, f) == {TRACING_BUILD_ARG: "true"} for f in functions.values()
        )
    else:  # the asset it always was: no build argument at all
        assert all(_image_build_args(synth, f) == {} for f in functions.values())


def test_traced_functions_have_settings_the_app_accepts(synth):
    """Every OTEL_* variable is one the app reads, and together they validate: X-Ray's OTLP
    endpoint in the stack's region, signed for that region."""
    config = synth.deployment.config
    for name, function in _functions(synth).items():
        env = _env(function)
        otel = {key: _render(value) for key, value in env.items() if key.startswith("OTEL_")}
        assert set(otel) <= TRACING_SETTINGS, name
        if not config.otel_enabled or name == "migrations":
            continue
        assert otel == {
            "OTEL_ENABLED": "true",
            "OTEL_SERVICE_NAME": f"courtside-{name}",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"https://xray.{config.region}."
            "${AWS::URLSuffix}/v1/traces",
            "OTEL_EXPORTER_SIGV4_REGION": config.region,
        }
        endpoint = otel["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].replace(
            "${AWS::URLSuffix}", "amazonaws.com"
        )
        TracingSettings(
            otel_service_name=otel["OTEL_SERVICE_NAME"],
            otel_exporter_otlp_traces_endpoint=endpoint,
            otel_exporter_sigv4_region=otel["OTEL_EXPORTER_SIGV4_REGION"],
        )


def test_spans_leave_the_vpc_through_an_xray_endpoint_only_when_tracing(synth):
    config = synth.deployment.config
    endpoints = {
        resource["Properties"]["ServiceName"]: (name, resource)
        for name, resource in synth.resources("AWS::EC2::VPCEndpoint").items()
    }
    xray_service = f"com.amazonaws.{config.region}.xray"
    synth.main.resource_count_is("AWS::EC2::NatGateway", 0)
    if not config.otel_enabled:
        assert xray_service not in endpoints
        return
    logical_id, endpoint = endpoints[xray_service]
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Interface"
    assert props["PrivateDnsEnabled"] is True  # xray.<region>.amazonaws.com resolves to it
    subnets = {s["Ref"] for s in props["SubnetIds"]}
    app_subnets = {n for n in synth.resources("AWS::EC2::Subnet") if "appSubnet" in n}
    assert subnets == app_subnets  # where the functions run
    for id_ in _ids(synth).values():
        (function,) = [
            r
            for n, r in synth.resources("AWS::Lambda::Function").items()
            if n.startswith(f"{id_}Function")
        ]
        assert logical_id in function["DependsOn"], id_


def test_traced_functions_may_write_spans_and_nothing_more(synth):
    config = synth.deployment.config
    policies = synth.resources("AWS::IAM::Policy")
    ids = _ids(synth)
    for name, policy in policies.items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            xray = [a for a in actions if a.startswith("xray:")]
            if not xray:
                continue
            assert config.otel_enabled, name
            assert name.startswith(tuple(f"{id_}FunctionServiceRole" for id_ in ids.values()))
            assert sorted(actions) == sorted(XRAY_WRITE_ACTIONS)  # no read, no sampling rules
            assert statement["Resource"] == "*"  # X-Ray has no resource-level permissions
            assert statement["Effect"] == "Allow"
    granted = {
        name
        for name, policy in policies.items()
        if any(
            "xray:PutSpans" in json.dumps(s)
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
        )
    }
    assert len(granted) == (len(ids) if config.otel_enabled else 0)


def test_transaction_search_is_turned_on_where_the_stack_owns_it(synth):
    config = synth.deployment.config
    configs = synth.resources("AWS::XRay::TransactionSearchConfig")
    if not (config.otel_enabled and config.otel_transaction_search == "stack"):
        assert configs == {}
        return
    ((name, search),) = configs.items()
    assert search["Properties"] == {"IndexingPercentage": INDEXED_PERCENT}
    policies = synth.resources("AWS::Logs::ResourcePolicy")
    (policy_id,) = search["DependsOn"]
    document = json.loads(_render(policies[policy_id]["Properties"]["PolicyDocument"]))
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "xray.amazonaws.com"}
    assert statement["Action"] == "logs:PutLogEvents"
    prefix = f"arn:aws:logs:{config.region}:{config.account}:log-group:"
    assert statement["Resource"] == [
        f"{prefix}aws/spans:*",
        f"{prefix}/aws/application-signals/data:*",
    ]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:xray:{config.region}:{config.account}:*"},
        "StringEquals": {"aws:SourceAccount": config.account},
    }
    for id_ in _ids(synth).values():  # spans are accepted from a function's first request
        (function,) = [
            r
            for n, r in synth.resources("AWS::Lambda::Function").items()
            if n.startswith(f"{id_}Function")
        ]
        assert name in function["DependsOn"]


def test_an_account_with_transaction_search_already_on_gets_none(synthesize_env, cli_context):
    context = copy.deepcopy(cli_context)
    context[CONTEXT_KEY]["staging"]["otel_transaction_search"] = "account"
    synth = synthesize_env("staging", context)
    synth.main.resource_count_is("AWS::XRay::TransactionSearchConfig", 0)
    synth.main.resource_count_is("AWS::Logs::ResourcePolicy", 0)
    # Still traced: the endpoint, the settings and the permission do not depend on it.
    test_traced_functions_have_settings_the_app_accepts(synth)
    test_traced_functions_may_write_spans_and_nothing_more(synth)


def test_an_all_in_one_environment_traces_its_one_function(synthesize_env, cli_context):
    context = copy.deepcopy(cli_context)
    context[CONTEXT_KEY]["dev"]["otel_enabled"] = True
    synth = synthesize_env("dev", context)
    assert set(_plans(synth)) == {"api"}
    assert _env(_functions(synth)["api"])["OTEL_SERVICE_NAME"] == "courtside-api"
    test_a_function_traces_only_from_an_image_built_with_the_tracing_packages(synth)
    test_spans_leave_the_vpc_through_an_xray_endpoint_only_when_tracing(synth)
    test_traced_functions_may_write_spans_and_nothing_more(synth)


def test_transaction_search_by_the_stack_needs_tracing(cli_context):
    context = copy.deepcopy({CONTEXT_KEY: cli_context[CONTEXT_KEY]})
    context[CONTEXT_KEY]["dev"]["otel_transaction_search"] = "stack"
    with pytest.raises(ConfigError, match=r"dev\.otel_transaction_search: expected 'account'"):
        load_config(context, "dev")
    context[CONTEXT_KEY]["dev"]["otel_transaction_search"] = "later"
    with pytest.raises(ConfigError, match=r"dev\.otel_transaction_search: Input should be"):
        load_config(context, "dev")
