"""Both database engines, and an RDS read replica, synthesize (with cdk-nag) and pass cfn-lint;
the connection budget refuses what cannot fit, with the numbers (issue 24 items 1 and 6)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra import connection_budget
from infra.config import CONTEXT_KEY, ConfigError, load_config
from tests.infra.cfn_lint import CFN_LINT_CONFIG, CfnLint
from tests.infra.conftest import Synth, read_cli_context

AURORA_DEV = {
    "db_engine": "aurora-serverless-v2",
    "db_readers": 1,
    "db_min_acu": 0,
    "db_max_acu": 2,
}
AURORA_PROD = {
    "db_engine": "aurora-serverless-v2",
    "db_readers": 2,
    "db_min_acu": 1,
    "db_max_acu": 8,
}


def _context(env: str, shape: dict[str, Any]) -> dict[str, Any]:
    context = read_cli_context()
    context[CONTEXT_KEY][env].update(shape)
    return context


@pytest.fixture(scope="module")
def aurora(synthesize_env: Any) -> dict[str, Synth]:
    """dev (scale to zero, one reader) and prod (two readers) on Aurora Serverless v2; cdk-nag
    runs during synthesis, and an unanswered finding would fail it."""
    return {
        "dev": synthesize_env("dev", _context("dev", AURORA_DEV)),
        "prod": synthesize_env("prod", _context("prod", AURORA_PROD)),
    }


def _variables(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]["Environment"]["Variables"]
        for name, resource in synth.resources("AWS::Lambda::Function").items()
        if "DATABASE_NAME" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }


@pytest.mark.parametrize(("env", "shape"), [("dev", AURORA_DEV), ("prod", AURORA_PROD)])
def test_an_aurora_cluster_with_its_readers_replaces_the_instance(
    aurora: dict[str, Synth], env: str, shape: dict[str, Any]
) -> None:
    synth = aurora[env]
    (cluster,) = synth.resources("AWS::RDS::DBCluster").values()
    props = cluster["Properties"]
    assert props["Engine"] == "aurora-postgresql"
    assert props["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": shape["db_min_acu"],
        "MaxCapacity": shape["db_max_acu"],
    }
    assert props["StorageEncrypted"] is True
    config = synth.deployment.config
    assert props["BackupRetentionPeriod"] == config.db_backup_retention_days
    assert props["DeletionProtection"] is config.db_deletion_protection
    assert props["EnableCloudwatchLogsExports"] == ["postgresql"]
    instances = synth.resources("AWS::RDS::DBInstance").values()
    assert [i["Properties"]["DBInstanceClass"] for i in instances] == ["db.serverless"] * (
        1 + shape["db_readers"]
    )
    assert all(i["Properties"]["PubliclyAccessible"] is False for i in instances)


def test_only_the_public_reads_get_the_reader_endpoint(aurora: dict[str, Synth]) -> None:
    reader = {"Fn::GetAtt": [next(iter(aurora["prod"].resources("AWS::RDS::DBCluster"))),
                             "ReadEndpoint.Address"]}  # fmt: skip
    hosts = {name: v.get("DATABASE_READ_HOST") for name, v in _variables(aurora["prod"]).items()}
    public = [name for name in hosts if name.startswith("PublicFunction")]
    assert public and all(hosts[name] == reader for name in public)
    assert all(host is None for name, host in hosts.items() if name not in public)
    dev = {n: v for n, v in _variables(aurora["dev"]).items() if not n.startswith("Migrations")}
    (whole_app,) = dev.values()  # all-in-one: it serves public reads
    assert "DATABASE_READ_HOST" in whole_app
    migrator = _variables(aurora["prod"])
    assert all("DATABASE_READ_HOST" not in v for n, v in migrator.items() if "Migrations" in n)
    # a replica's reads need the engine (read_replica): no cold miss on the driver alone
    assert all("DB_DRIVER_READS" not in v for v in _variables(aurora["prod"]).values())


def test_rotation_alarms_and_outputs_work_for_the_cluster(aurora: dict[str, Synth]) -> None:
    prod, dev = aurora["prod"], aurora["dev"]
    roles = len(prod.deployment.config.functions)
    assert len(prod.resources("AWS::SecretsManager::RotationSchedule")) == 1 + roles
    assert dev.resources("AWS::SecretsManager::RotationSchedule") == {}  # db_rotation_days 0
    alarms = {
        resource["Properties"]["MetricName"]
        for name, resource in prod.resources("AWS::CloudWatch::Alarm").items()
        if name.startswith("Database")
    }
    assert alarms == {
        "CPUUtilization",
        "ACUUtilization",
        "DatabaseConnections",
        "AuroraReplicaLagMaximum",
    }
    assert "DatabaseReaderEndpoint" in prod.main_json["Outputs"]


@pytest.fixture(scope="module")
def rds_replica(synthesize_env: Any) -> Synth:
    """staging on RDS with two read replicas (cdk-nag runs during synthesis)."""
    return synthesize_env("staging", _context("staging", {"db_readers": 2}))


def test_rds_read_replicas_serve_the_public_functions(
    rds_replica: Synth, cfn_lint: CfnLint
) -> None:
    instances = rds_replica.resources("AWS::RDS::DBInstance")
    replica_ids = sorted(
        n for n, r in instances.items() if "SourceDBInstanceIdentifier" in r["Properties"]
    )
    assert len(replica_ids) == 2
    config = rds_replica.deployment.config
    for replica_id in replica_ids:
        replica = instances[replica_id]["Properties"]
        assert replica["DBInstanceClass"] == f"db.{config.db_instance_class}"
        assert replica["PubliclyAccessible"] is False
    hosts = {name: v.get("DATABASE_READ_HOST") for name, v in _variables(rds_replica).items()}
    given = {n: h for n, h in hosts.items() if h is not None}
    assert set(given) == {n for n in hosts if n.startswith("PublicFunction")} != set()
    for host in given.values():  # every replica's host, comma-separated (read_replica)
        separator, parts = host["Fn::Join"]
        assert separator == ","
        assert sorted(p["Fn::GetAtt"][0] for p in parts) == replica_ids
        assert all(p["Fn::GetAtt"][1] == "Endpoint.Address" for p in parts)
    output = rds_replica.main_json["Outputs"]["DatabaseReaderEndpoint"]
    assert output["Value"] == next(iter(given.values()))  # a list under a singular name:
    assert "separated by commas" in output["Description"]  # its description says so
    lag_alarms = [
        r
        for r in rds_replica.resources("AWS::CloudWatch::Alarm").values()
        if r["Properties"]["MetricName"] == "ReplicaLag"
    ]
    assert len(lag_alarms) == 2  # one per replica
    writer, reader = config.connection_budgets
    assert writer.max_connections == reader.max_connections == 225  # the same class
    public = next(p for p in config.functions if p.service.name == "public")
    # No endpoint spreads them: any one replica may get every public connection.
    assert reader.demand == (public.reserved_concurrency or 0) + connection_budget.OVERHEAD
    templates = [str(p) for p in sorted(rds_replica.outdir.glob("*.template.json"))]
    result = cfn_lint(
        "--config-file", str(CFN_LINT_CONFIG), "--format", "json",
        "--regions", "eu-west-1", "us-east-1", "--", *templates,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr or result.stdout


def test_the_committed_rds_environments_get_no_reader(synths: dict[str, Synth]) -> None:
    for synth in synths.values():
        assert synth.deployment.config.db_engine == "rds"
        assert all("DATABASE_READ_HOST" not in v for v in _variables(synth).values())
        assert "DatabaseReaderEndpoint" not in synth.main_json["Outputs"]


def test_without_a_reader_the_public_reads_start_on_the_driver(synths: dict[str, Synth]) -> None:
    """A cold public miss of a named statement is read without SQLAlchemy
    (`courtside.driver_reads`) where nothing but the writer serves it: on the functions
    that serve public reads, and only there."""
    for environment, synth in synths.items():
        flags = {n: v.get("DB_DRIVER_READS") for n, v in _variables(synth).items()}
        readers = {n for n in flags if n.startswith(("PublicFunction", "ApiFunction"))}
        assert readers, (environment, sorted(flags))
        assert {n for n, flag in flags.items() if flag is not None} == readers, environment
        assert {flags[n] for n in readers} == {"true"}


def test_cfn_lint_finds_nothing_in_the_aurora_templates(
    aurora: dict[str, Synth], cfn_lint: CfnLint
) -> None:
    templates = [str(p) for s in aurora.values() for p in sorted(s.outdir.glob("*.template.json"))]
    result = cfn_lint(
        "--config-file", str(CFN_LINT_CONFIG), "--format", "json",
        "--regions", "eu-west-1", "us-east-1", "--", *templates,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr or result.stdout
    assert json.loads(result.stdout or "[]") == []


# The connection budget: configuration only, no synthesis.


def _config(env: str, **changes: Any) -> Any:
    context = copy.deepcopy(read_cli_context())
    context[CONTEXT_KEY][env].update(changes)
    return load_config(context, env)


def test_the_budget_counts_every_reserved_environment_against_max_connections() -> None:
    prod = _config("prod")
    (writer,) = prod.connection_budgets
    reserved = sum(plan.reserved_concurrency or 0 for plan in prod.functions)
    assert writer.demand == reserved * 1 + connection_budget.OVERHEAD
    assert writer.max_connections == connection_budget.max_connections_for_memory(8) == 901
    assert writer.fits


def test_readers_share_the_public_functions_connections() -> None:
    prod = _config("prod", **AURORA_PROD)
    writer, reader = prod.connection_budgets
    assert writer.max_connections == connection_budget.max_connections_for_acu(8) == 1802
    public = next(p for p in prod.functions if p.service.name == "public")
    assert reader.demand == -(-(public.reserved_concurrency or 0) // 2) + connection_budget.OVERHEAD


def test_an_impossible_configuration_is_refused_with_the_numbers() -> None:
    with pytest.raises(ConfigError) as error:
        _config("staging", db_instance_class="t4g.micro", service_functions={
            "public": {"reserved_concurrency": 100}, "web": {"reserved_concurrency": 6},
            "ingest": {"reserved_concurrency": 4, "timeout_seconds": 30},
        })  # fmt: skip
    message = str(error.value)
    assert "staging.reserved_concurrency" in message
    assert "public 100 x 1 + web 6 x 1 + ingest 4 x 1 + overhead 8 = 118" in message
    assert "max_connections 112 allows 89" in message
    assert "RDS Proxy" in message


def test_a_small_acu_ceiling_is_refused_too() -> None:
    with pytest.raises(ConfigError, match=r"aurora-serverless-v2 at 1 ACU.*= 208 connections"):
        _config("prod", **{**AURORA_PROD, "db_max_acu": 1, "db_min_acu": 1})


@pytest.mark.parametrize(
    ("env", "changes", "message"),
    [
        ("staging", {"db_readers": 16}, "db_readers: Input should be less than or equal to 15"),
        ("dev", {**AURORA_DEV, "db_min_acu": 4}, "db_min_acu: expected at most db_max_acu"),
        ("dev", {**AURORA_DEV, "db_max_acu": 2.25}, "db_max_acu: expected a multiple of 0.5"),
        ("prod", {**AURORA_PROD, "db_min_acu": 0}, "db_min_acu: expected more than 0 in prod"),
        ("prod", {"reserved_concurrency": 0, "service_functions": {}}, "expected a reserve"),
        ("dev", {"db_engine": "aurora"}, "db_engine: Input should be 'rds' or"),
    ],
)
def test_database_shapes_that_cannot_run_are_refused(env: str, changes: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(env, **changes)


def test_the_budget_uses_the_apps_own_pool_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    from courtside.settings import DatabaseSettings

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "courtside-public")
    monkeypatch.setenv("REDIS_HOST", "cache.internal")  # the stack sets it on every function
    for name in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW"):
        monkeypatch.delenv(name, raising=False)
    settings = DatabaseSettings()
    assert (settings.db_pool_size, settings.db_max_overflow) == (
        connection_budget.LAMBDA_POOL_SIZE,
        connection_budget.LAMBDA_MAX_OVERFLOW,
    )


def test_the_cost_estimate_prices_aurora_at_its_floor(aurora: dict[str, Synth]) -> None:
    from scripts import cost_estimate

    estimate = cost_estimate.estimate("prod", aurora["prod"].templates.values())
    detail, usd = cost_estimate.by_kind(estimate)["RDS PostgreSQL"]
    assert detail == "Aurora Serverless v2, 3 instance(s) at 1 ACU (up to 8), 20 GB"
    assert usd == pytest.approx(3 * 1 * 0.14 * 730 + 20 * 0.11)
