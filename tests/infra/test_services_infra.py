"""The services on AWS (issue 15), SES for notification e-mail, and Lambda timeouts that outlive
every dependency wait, asserted on the synthesized templates.

The committed environments cover both shapes: dev runs ``all-in-one`` (one function), staging
and prod ``split`` (public, web, ingest). Two more variants are synthesized here, with cdk-nag
and cfn-lint, with everything optional switched on: SES (with and without a configuration set)
and the per-service host names.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from fnmatch import fnmatchcase
from typing import Any

import pytest

from api.infrastructure import API_DIRECTORY, app_release, source_release
from cdn.infrastructure import (
    PUBLIC_ROUTE_GROUPS,
    STATIC_PATH,
    HostPaths,
    behaviour_patterns,
    viewer_request_code,
)
from courtside.main import create_app
from courtside.services_registry import DEFAULT_SERVICE, SERVICES, WHOLE_APP, owner, service
from courtside.settings import CacheSettings, DatabaseSettings
from infra.config import CONTEXT_KEY, ConfigError, load_config, longest_dependency_wait
from infra.routing import host_paths
from infra.stacks import function_id
from tests.api.access_rules import MOUNT_SAMPLE_PATHS, SAMPLE_PATH_VALUES
from tests.api.auth.routes import app_routes
from tests.infra.cfn_lint import CFN_LINT_CONFIG
from tests.infra.conftest import Synth, read_cli_context

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def _ids(synth: Synth) -> dict[str, str]:
    return {p.service.name: function_id(p.service) for p in synth.deployment.config.functions}


def _app_functions(synth: Synth) -> dict[str, dict[str, Any]]:
    """Service name -> its function's properties."""
    found = {}
    for name, id_ in _ids(synth).items():
        (props,) = [
            r["Properties"]
            for n, r in synth.resources("AWS::Lambda::Function").items()
            if n.startswith(f"{id_}Function") and "ImageUri" in r["Properties"]["Code"]
        ]
        found[name] = props
    return found


def _distribution(synth: Synth) -> dict[str, Any]:
    (distribution,) = synth.resources("AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _origin_services(synth: Synth) -> dict[str, str]:
    """CloudFront origin id -> the service whose alias URL it is."""
    found = {}
    for origin in _distribution(synth)["Origins"]:
        domain = json.dumps(origin["DomainName"])
        (name,) = [s for s, id_ in _ids(synth).items() if f'"{id_}LiveFunctionUrl' in domain]
        found[origin["Id"]] = name
    return found


def _concrete(method: str, path: str) -> str:
    if method == "MOUNT":
        return MOUNT_SAMPLE_PATHS.get(path, path + "/")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), path)


def _behaviour_for(synth: Synth, path: str) -> dict[str, Any]:
    """The behaviour CloudFront picks for `path`: the first matching pattern, else the default."""
    config = _distribution(synth)
    for behaviour in config["CacheBehaviors"]:
        if fnmatchcase(path, behaviour["PathPattern"]):
            return dict(behaviour)
    return dict(config["DefaultCacheBehavior"])


# --- a function per service, and CloudFront routing each path to it ----------------------------


def test_the_committed_environments_cover_both_shapes(synths):
    shapes = {name: synth.deployment.config.services for name, synth in synths.items()}
    assert shapes == {"dev": "all-in-one", "staging": "split", "prod": "split"}
    for name, synth in synths.items():
        expected = ["api"] if shapes[name] == "all-in-one" else [s.name for s in SERVICES]
        assert list(_app_functions(synth)) == expected


def test_every_function_files_its_cache_entries_under_the_images_release(synths):
    """One release for every function of an environment (they run one image and share
    entries): the image source's fingerprint (`CACHE_RELEASE`, `courtside.cache`)."""
    for synth in synths.values():
        variables = [p["Environment"]["Variables"] for p in _app_functions(synth).values()]
        assert {v["CACHE_RELEASE"] for v in variables} == {app_release()}
    assert re.fullmatch(r"[0-9a-f]{16}", app_release())
    CacheSettings(cache_release=app_release())  # a release the app accepts


def test_the_release_changes_with_the_code_not_with_an_infra_edit(tmp_path):
    source = tmp_path / "api"
    shutil.copytree(API_DIRECTORY, source, ignore=shutil.ignore_patterns("__pycache__"))
    release = source_release(source)
    assert release == source_release(API_DIRECTORY)

    (source / "infrastructure.py").write_text("# an infra edit\n")
    (source / "courtside" / "templates_compiled").mkdir(exist_ok=True)
    (source / "courtside" / "templates_compiled" / "x.py").write_text("# built in the image\n")
    assert source_release(source) == release

    (source / "courtside" / "board_encoding.py").write_text("SHAPE = 2\n")
    assert source_release(source) != release
    changed = source_release(source)
    package = source / "courtside" / "models" / "__init__.py"
    package.write_text(package.read_text() + "# a package's own code\n")
    assert source_release(source) != changed


def test_split_runs_each_service_from_its_own_entry_point_and_role(synths):
    for synth in (synths["staging"], synths["prod"]):
        functions = _app_functions(synth)
        for plan in synth.deployment.config.functions:
            props = functions[plan.service.name]
            assert props["ImageConfig"]["Command"] == [plan.service.handler]
            assert props["ReservedConcurrentExecutions"] == plan.reserved_concurrency
        configured = synth.deployment.config.service_functions
        assert {name: f.reserved_concurrency for name, f in configured.items()} == {
            name: functions[name]["ReservedConcurrentExecutions"] for name in configured
        }
        # Ingestion's long batches get their own timeout; the read API keeps a short one.
        assert functions["ingest"]["Timeout"] > functions["public"]["Timeout"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_route_of_the_app_reaches_the_function_that_serves_it(synths, env):
    """Walk every route of the whole app; the behaviour CloudFront would pick for its path must
    send it to the service owning the route (all-in-one: to the one function)."""
    synth = synths[env]
    origins = _origin_services(synth)
    split = synth.deployment.config.services == "split"
    checked = 0
    for method, path in app_routes(create_app()):
        concrete = _concrete(method, path)
        served_by = origins[_behaviour_for(synth, concrete)["TargetOriginId"]]
        expected = (owner(concrete) or DEFAULT_SERVICE).name if split else WHOLE_APP.name
        assert served_by == expected, (method, concrete)
        checked += 1
    assert checked > 60
    default = origins[_distribution(synth)["DefaultCacheBehavior"]["TargetOriginId"]]
    assert default == (DEFAULT_SERVICE.name if split else WHOLE_APP.name)  # pages, /docs


def test_each_services_behaviours_have_the_cache_policy_that_fits_it(synths):
    synth = synths["prod"]
    origins = _origin_services(synth)
    resources = synth.main_json["Resources"]
    for behaviour in _distribution(synth)["CacheBehaviors"]:
        pattern, served_by = behaviour["PathPattern"], origins[behaviour["TargetOriginId"]]
        policy = behaviour["CachePolicyId"]
        if pattern in PUBLIC_ROUTE_GROUPS:  # the read API: its query allow-list
            assert served_by == "public"
            config = resources[policy["Ref"]]["Properties"]["CachePolicyConfig"]
            strings = config["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
            assert strings["QueryStrings"] == sorted(PUBLIC_ROUTE_GROUPS[pattern])
        elif pattern == STATIC_PATH:  # the web service's content-hashed files
            assert served_by == "web"
            assert resources[policy["Ref"]]["Properties"]["CachePolicyConfig"]["MaxTTL"] > 86400
        else:  # sign-in, accounts, admin, ingestion, health: never cached
            assert policy == CACHING_DISABLED, pattern
    patterns = {b["PathPattern"]: origins[b["TargetOriginId"]] for b in _distribution(synth)[
        "CacheBehaviors"
    ]}  # fmt: skip
    assert patterns["/v1/ingest/*"] == "ingest"
    assert patterns["/health*"] == "public"
    assert patterns["/v1/auth/*"] == patterns["/token"] == patterns["/v1/me/*"] == "web"
    assert list(patterns) == behaviour_patterns()


def test_one_origin_access_control_signs_for_every_function(synths):
    for synth in synths.values():
        origins = _distribution(synth)["Origins"]
        assert len(origins) == len(_ids(synth))
        assert len({json.dumps(o["OriginAccessControlId"]) for o in origins}) == 1
        synth.main.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)


# --- the Lambda timeout outlives every wait on the database and Redis --------------------------


def _settings_of(variables: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> float:
    """DatabaseSettings().longest_wait_seconds + the Redis socket timeout, as the function with
    these environment variables computes them (nothing of this process's environment)."""
    for key in list(os.environ):
        if key.startswith(("DB_", "DATABASE_", "REDIS_")):
            monkeypatch.delenv(key)
    for key, value in variables.items():
        if isinstance(value, str) and key.startswith(("DB_", "REDIS_")):
            monkeypatch.setenv(key, value)
    database = DatabaseSettings(_env_file=None)
    cache = CacheSettings(_env_file=None)
    return database.longest_wait_seconds + cache.redis_socket_timeout_seconds


def test_every_functions_timeout_outlives_every_dependency_wait(synths, variants, monkeypatch):
    checked = 0
    for synth in [*synths.values(), *variants.values()]:
        for name, props in _app_functions(synth).items():
            wait = _settings_of(props["Environment"]["Variables"], monkeypatch)
            assert props["Timeout"] > wait, (synth.name, name, props["Timeout"], wait)
            checked += 1
    assert checked == 1 + 3 + 3 + 1 + 3
    assert longest_dependency_wait()[0] == _settings_of({}, monkeypatch)  # what config checks


@pytest.fixture
def context(cli_context: dict[str, Any]) -> dict[str, Any]:
    return {CONTEXT_KEY: copy.deepcopy(cli_context[CONTEXT_KEY])}


def test_a_lambda_timeout_shorter_than_the_longest_wait_is_refused(context):
    wait, parts = longest_dependency_wait()
    assert parts == "pool 2 s + connect 3 s + statement 5 s + Redis 0.25 s"
    context[CONTEXT_KEY]["dev"]["lambda_timeout_seconds"] = int(wait)

    with pytest.raises(ConfigError) as error:
        load_config(context, "dev")
    assert str(error.value) == (
        f"courtside:environments.dev.lambda_timeout_seconds: expected more than {wait:g} s, "
        f"the longest a request may wait on the database and Redis ({parts}): a shorter "
        f"timeout kills the invocation before the app can answer 503, got {int(wait)}"
    )
    context[CONTEXT_KEY]["dev"]["lambda_timeout_seconds"] = int(wait) + 1
    assert load_config(context, "dev").lambda_timeout_seconds == int(wait) + 1


def test_a_services_own_timeout_is_checked_the_same_way(context):
    context[CONTEXT_KEY]["prod"]["service_functions"]["ingest"]["timeout_seconds"] = 10

    with pytest.raises(
        ConfigError,
        match=r"prod\.service_functions\.ingest\.timeout_seconds: expected more than 10\.25 s",
    ):
        load_config(context, "prod")


@pytest.mark.parametrize(
    ("env", "change", "message"),
    [
        ("dev", {"services": "both"}, r"dev\.services: Input should be 'all-in-one' or 'split'"),
        (
            "dev",
            {"service_functions": {"public": {"memory_mb": 512}}},
            r"dev\.service_functions: expected \{\} with services all-in-one",
        ),
        (
            "prod",
            {"service_functions": {"admin": {}}},
            r"prod\.service_functions: .*unknown service admin: expected public, web, ingest",
        ),
        (
            "prod",
            {"service_functions": {"web": {"memory": 512}}},
            r"prod\.service_functions\.web\.memory: unknown key",
        ),
        (
            "staging",
            {"service_alias_domain": "example.org"},
            r"staging\.service_alias_domain: expected a name inside the hosted zone",
        ),
        (
            "staging",
            {
                "service_alias_domain": "staging.example.com",
                "domain_name": "web.staging.example.com",
            },
            r"staging\.service_alias_domain: a service alias would be domain_name",
        ),
        ("staging", {"ses_enabled": True}, r"staging\.ses_from_address: expected the From address"),
        (
            "staging",
            {"ses_enabled": True, "ses_from_address": "no-reply@example.org"},
            r"staging\.ses_from_address: expected an address in the hosted zone",
        ),
        (
            "staging",
            {"ses_configuration_set": True},
            r"staging\.ses_configuration_set: expected false unless ses_enabled",
        ),
        ("staging", {"ses_from_address": "nobody"}, r"staging\.ses_from_address: String should"),
    ],
)
def test_bad_service_and_email_settings_name_the_key(context, env, change, message):
    context[CONTEXT_KEY][env].update(change)
    with pytest.raises(ConfigError, match=message):
        load_config(context, env)


def test_a_service_left_out_takes_the_environments_sizes(context):
    context[CONTEXT_KEY]["staging"]["service_functions"] = {"web": {"reserved_concurrency": 0}}
    plans = {p.service.name: p for p in load_config(context, "staging").functions}

    assert plans["public"].reserved_concurrency == 20  # the environment's
    assert plans["web"].reserved_concurrency is None  # explicitly none
    assert {p.memory_mb for p in plans.values()} == {1024}


# --- SES, and each service's own host name (the variants) ----------------------------------------

SES_DOMAINS = {"dev": "dev.example.com", "prod": "mail.example.com"}


@pytest.fixture(scope="module")
def variants(synthesize_env) -> dict[str, Synth]:
    """dev (all-in-one) with SES on its zone's apex; prod (split) with SES on a subdomain and a
    configuration set; both with every service's own host name. cdk-nag runs on both."""
    context = read_cli_context()
    environments = context[CONTEXT_KEY]
    environments["dev"].update(
        ses_enabled=True,
        ses_from_address="no-reply@dev.example.com",
        service_alias_domain="dev.example.com",
    )
    environments["prod"].update(
        ses_enabled=True,
        ses_from_address="notifications@mail.example.com",
        ses_configuration_set=True,
        service_alias_domain="prod.example.com",
    )
    return {env: synthesize_env(env, context, nag=True) for env in ("dev", "prod")}


def test_the_variants_pass_cdk_nag(variants):
    for synth in variants.values():
        report = json.loads((synth.outdir / "validation-report.json").read_text())
        (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
        assert plugin["conclusion"] == "success", plugin["violations"]


def test_the_variants_pass_cfn_lint(variants, cfn_lint):
    """The split variant's main and edge templates: every resource SES and the host names add
    (the all-in-one variant's are of the same kinds; edge alarms are the committed ones')."""
    templates = [
        str(p)
        for p in sorted(variants["prod"].outdir.glob("*.template.json"))
        if not p.name.endswith("-EdgeAlarms.template.json")
    ]
    assert len(templates) == 2
    result = cfn_lint("--config-file", str(CFN_LINT_CONFIG), "--format", "json", "--", *templates)
    assert result.returncode == 0, result.stdout or result.stderr
    assert json.loads(result.stdout or "[]") == []


def test_email_is_off_in_every_committed_environment(synths):
    for synth in synths.values():
        assert synth.deployment.config.ses_enabled is False
        for kind in ("AWS::SES::EmailIdentity", "AWS::SES::ConfigurationSet"):
            synth.main.resource_count_is(kind, 0)
        for props in _app_functions(synth).values():
            variables = props["Environment"]["Variables"]
            assert not [k for k in variables if k.startswith(("EMAIL_", "SES_"))]
        assert "ses:" not in json.dumps(synth.main_json)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_a_domain_identity_signed_with_dkim_in_the_hosted_zone(variants, env):
    synth = variants[env]
    config = synth.deployment.config
    (identity_id, identity), = synth.resources("AWS::SES::EmailIdentity").items()  # fmt: skip
    props = identity["Properties"]
    assert props["EmailIdentity"] == SES_DOMAINS[env] == config.ses_identity_domain
    assert props["DkimAttributes"] == {"SigningEnabled": True}
    records = [
        r["Properties"]
        for r in synth.resources("AWS::Route53::RecordSet").values()
        if r["Properties"]["Type"] == "CNAME"
    ]
    assert sorted(json.dumps(r["Name"]) for r in records) == sorted(
        json.dumps({"Fn::GetAtt": [identity_id, f"DkimDNSTokenName{n}"]}) for n in (1, 2, 3)
    )
    for record in records:
        assert record["HostedZoneId"] == config.hosted_zone_id
        n = record["Name"]["Fn::GetAtt"][1][-1]
        assert record["ResourceRecords"] == [{"Fn::GetAtt": [identity_id, f"DkimDNSTokenValue{n}"]}]
    sets = synth.resources("AWS::SES::ConfigurationSet")
    assert len(sets) == (1 if config.ses_configuration_set else 0)
    if sets:
        (set_id,) = sets
        assert props["ConfigurationSetAttributes"] == {"ConfigurationSetName": {"Ref": set_id}}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_only_the_functions_that_send_mail_may_and_only_from_the_address(variants, env):
    """Ingestion (settled bets' notifications) and the web (password-reset and address
    links) send; the public read API may not."""
    synth = variants[env]
    config = synth.deployment.config
    (identity_id,) = synth.resources("AWS::SES::EmailIdentity")
    sets = list(synth.resources("AWS::SES::ConfigurationSet"))
    functions = _app_functions(synth)
    senders = [p.service.name for p in config.functions if p.service.sends_email]
    assert senders == (["api"] if env == "dev" else ["web", "ingest"])

    granted = []
    for policy_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [
                statement["Action"]
            ]  # fmt: skip
            if any(a.startswith("ses:") for a in actions):
                granted.append((policy_id, statement))
    assert len(granted) == len(senders)  # one policy per sending function
    expected = [
        f'"arn:aws:ses:{config.region}:{config.account}:identity/", {{"Ref": "{identity_id}"}}'
    ]
    expected += [
        f'"arn:aws:ses:{config.region}:{config.account}:configuration-set/", {{"Ref": "{s}"}}'
        for s in sets
    ]
    for _policy_id, statement in granted:
        assert statement["Action"] == "ses:SendEmail"
        assert statement["Condition"] == {
            "StringEquals": {"ses:FromAddress": config.ses_from_address}
        }
        listed = statement["Resource"]
        resources = sorted(
            json.dumps(r) for r in (listed if isinstance(listed, list) else [listed])
        )
        assert len(resources) == len(expected)
        for text in expected:
            assert any(text in r for r in resources), (text, resources)
    owners = {
        name for name in senders for policy_id, _ in granted
        if policy_id.startswith(f"{function_id(service(name))}Function")
    }  # fmt: skip
    assert owners == set(senders)

    for name, props in functions.items():
        variables = props["Environment"]["Variables"]
        email = {k: v for k, v in variables.items() if k.startswith(("EMAIL_", "SES_"))}
        if name not in senders:
            assert email == {}, name
            continue
        assert email.pop("EMAIL_BACKEND") == "ses"
        assert email.pop("EMAIL_FROM") == config.ses_from_address
        assert email.pop("SES_REGION") == config.region
        assert email == ({"SES_CONFIGURATION_SET": {"Ref": sets[0]}} if sets else {})


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_private_subnets_reach_the_ses_api_through_an_endpoint(variants, env):
    synth = variants[env]
    config = synth.deployment.config
    endpoints = {
        e["Properties"]["ServiceName"]: e["Properties"]
        for e in synth.resources("AWS::EC2::VPCEndpoint").values()
    }
    assert set(endpoints) == {
        f"com.amazonaws.{config.region}.secretsmanager",
        f"com.amazonaws.{config.region}.email",  # the SES API, not SMTP (email-smtp)
        *([f"com.amazonaws.{config.region}.xray"] if config.otel_enabled else []),
    }
    ses = endpoints[f"com.amazonaws.{config.region}.email"]
    assert ses["VpcEndpointType"] == "Interface"
    assert ses["PrivateDnsEnabled"] is True
    assert ses["SubnetIds"] == endpoints[f"com.amazonaws.{config.region}.secretsmanager"][
        "SubnetIds"
    ]  # fmt: skip
    assert all("appSubnet" in s["Ref"] for s in ses["SubnetIds"])
    (endpoint_id,) = [n for n in synth.resources("AWS::EC2::VPCEndpoint") if "Ses" in n]
    for plan in config.functions:
        (function,) = [
            r
            for n, r in synth.resources("AWS::Lambda::Function").items()
            if n.startswith(f"{function_id(plan.service)}Function")
        ]
        # The sender is created after the endpoint its first e-mail needs.
        assert (endpoint_id in function.get("DependsOn", [])) is plan.service.sends_email
    for kind in ("AWS::EC2::NatGateway", "AWS::EC2::InternetGateway"):
        synth.main.resource_count_is(kind, 0)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_service_answers_at_its_own_host_name(variants, env):
    synth = variants[env]
    config = synth.deployment.config
    aliases = config.service_aliases
    assert sorted(aliases) == sorted(s.name for s in SERVICES)
    assert aliases["public"] == f"public.{config.service_alias_domain}"
    assert _distribution(synth)["Aliases"] == [config.domain_name, *sorted(aliases.values())]
    assert synth.edge is not None
    (certificate,) = [
        r["Properties"]
        for r in synth.edge.to_json()["Resources"].values()
        if r["Type"] == "AWS::CertificateManager::Certificate"
    ]
    assert certificate["DomainName"] == config.domain_name
    assert certificate["SubjectAlternativeNames"] == sorted(aliases.values())
    validated = {o["DomainName"] for o in certificate["DomainValidationOptions"]}
    assert validated == {config.domain_name, *aliases.values()}
    records = {
        (r["Properties"]["Name"], r["Properties"]["Type"])
        for r in synth.resources("AWS::Route53::RecordSet").values()
        if "AliasTarget" in r["Properties"]
    }
    for host in [config.domain_name, *aliases.values()]:
        assert {(f"{host}.", "A"), (f"{host}.", "AAAA")} <= records


def _viewer_requests(code: str, requests: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """What the CloudFront Function returns for each (host, uri), run under node."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the CloudFront Function (cloudfront-js-2.0)")
    events = [
        {
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "203.0.113.178"},
            "request": {
                "method": "GET",
                "uri": uri,
                "querystring": {},
                "headers": {"host": {"value": host}},
                "cookies": {},
            },
        }
        for host, uri in requests
    ]
    script = f"{code}\nprocess.stdout.write(JSON.stringify({json.dumps(events)}.map(handler)));"
    out = subprocess.run([node, "-e", script], check=True, capture_output=True, text=True)
    results: list[dict[str, Any]] = json.loads(out.stdout)
    return results


def test_a_services_host_serves_only_its_paths_at_the_edge(variants):
    """The deployed viewer-request code: another service's path on a service's host is a JSON
    404 at the edge; its own paths and the main host pass through to the app."""
    synth = variants["prod"]
    config = synth.deployment.config
    (function,) = synth.resources("AWS::CloudFront::Function").values()
    code = function["Properties"]["FunctionCode"]
    public, web, ingest = (config.service_aliases[n] for n in ("public", "web", "ingest"))
    passes = [
        (public, "/v1/teams"),
        (public, "/health/ready"),
        (web, "/"),
        (web, "/login"),
        (web, "/openapi.json"),
        (web, "/v1/me/bets"),
        (ingest, "/v1/ingest/games"),
        (config.domain_name, "/v1/ingest/games"),
        (config.domain_name, "/anything"),
        (public.upper(), "/v1/games"),
    ]
    refused = [(public, "/login"), (public, "/"), (web, "/v1/teams"), (ingest, "/v1/teams")]
    refused += [(ingest, "/health"), (public, "/v1/ingest/teams"), (public.upper(), "/admin")]
    results = _viewer_requests(code, passes + refused)
    for (host, uri), result in zip(passes, results[: len(passes)], strict=True):
        assert result.get("uri") == uri, (host, uri, result)
        assert result["headers"]["x-forwarded-host"] == {"value": host}
    for (host, uri), result in zip(refused, results[len(passes) :], strict=True):
        assert result["statusCode"] == 404, (host, uri)
        assert json.loads(result["body"]["data"])["error"]["code"] == "not_found"


def test_the_host_table_is_each_services_route_groups():
    for s in SERVICES:
        paths = host_paths(s)
        for method, path in app_routes(create_app(service=s.name)):
            concrete = _concrete(method, path)
            assert concrete in paths.paths or concrete.startswith(paths.prefixes), concrete
    table = json.loads(
        re.search(
            r"var SERVICE_HOSTS = (\{.*\});",
            viewer_request_code({"x.example.com": HostPaths(prefixes=("/a",), paths=("/",))}),
        ).group(1)  # type: ignore[union-attr]
    )
    assert table == {"x.example.com": {"prefixes": ["/a"], "paths": ["/"]}}
