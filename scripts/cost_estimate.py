#!/usr/bin/env python3
"""Monthly list-price estimate of an environment, read from its synthesized templates.

    make synth ENV=prod && python3 scripts/cost_estimate.py prod      # one environment
    python3 scripts/cost_estimate.py --markdown                      # docs/deploy.md's table

What is priced comes from the templates (instance classes, Multi-AZ, storage, node counts, NAT
gateways, endpoints and their subnets, proxies, secrets, keys, alarms, dashboards, web ACLs and
their rules, function memory and architecture); what traffic costs comes from `TRAFFIC`, stated
per environment. Prices are `PRICES` (eu-west-1 list prices, infra/catalog.py for instances),
before free tiers, taxes, support and data transfer not listed. `--markdown` synthesizes the
three environments itself and prints the table that tests/infra keep identical to the one in
docs/deploy.md, so the document cannot drift from the stacks.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "api")]

from infra.catalog import ELASTICACHE_VALKEY, PRICES_AS_OF, RDS_POSTGRES  # noqa: E402

HOURS_PER_MONTH = 730
ENVIRONMENTS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class Traffic:
    """A month of traffic: what the templates cannot say."""

    requests: int
    """Viewer requests to CloudFront."""
    origin_share: float
    """Share of them reaching the function (pages, private routes, public cache misses)."""
    duration_ms: int
    """Mean billed duration of an API invocation."""
    gb_out: int
    """Data CloudFront sends to viewers."""
    log_gb: int
    """CloudWatch Logs ingested (app, flow logs, WAF)."""
    db_log_gb: float
    """PostgreSQL's own log exported to CloudWatch Logs (RDS's default settings log errors,
    checkpoints and autovacuum: little)."""


TRAFFIC: Mapping[str, Traffic] = {
    "dev": Traffic(
        requests=100_000, origin_share=0.6, duration_ms=100, gb_out=1, log_gb=2, db_log_gb=0.2
    ),
    "staging": Traffic(
        requests=500_000, origin_share=0.6, duration_ms=100, gb_out=5, log_gb=5, db_log_gb=0.5
    ),
    "prod": Traffic(
        requests=5_000_000, origin_share=0.6, duration_ms=100, gb_out=100, log_gb=30, db_log_gb=2
    ),
}
ENHANCED_MONITORING_EVENT_KB = 15
"""One Enhanced Monitoring event (OS metrics and the process list) in CloudWatch Logs: an
assumption (no measurement here), about 0.6 GB a month at the 60 s interval."""

PRICES: Mapping[str, float] = {
    "rds_gp3_gb_month": 0.127,
    "rds_proxy_vcpu_hour": 0.015,
    "aurora_acu_hour": 0.14,
    "aurora_storage_gb_month": 0.11,
    "nat_gateway_hour": 0.048,
    "interface_endpoint_az_hour": 0.011,
    "secret_month": 0.40,
    "kms_key_month": 1.00,
    "alarm_month": 0.10,
    "dashboard_month": 3.00,
    "waf_web_acl_month": 5.00,
    "waf_rule_month": 1.00,
    "waf_million_requests": 0.60,
    "lambda_million_requests": 0.20,
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_gb_second_x86_64": 0.0000166667,
    "edge_million_requests": 0.60,
    "edge_gb_second": 0.00005001,
    "cloudfront_gb_out": 0.085,
    "cloudfront_10k_https_requests": 0.012,
    "logs_ingested_gb": 0.57,
}
SPANS_PER_TRACED_REQUEST = 6
"""A traced request's spans: its server span, 2-4 statements, 1-2 Redis round trips."""
SPAN_KB = 1.5
"""One span as stored in Transaction Search's `aws/spans` log group (JSON, attributes)."""
CLOUDFRONT_FREE_GB = 1024
CLOUDFRONT_FREE_REQUESTS = 10_000_000
EDGE_MEMORY_GB = 0.125
EDGE_DURATION_S = 0.05

# Kinds, in table order.
KINDS = (
    "RDS PostgreSQL",
    "RDS Proxy",
    "RDS monitoring",
    "ElastiCache (Valkey)",
    "NAT gateways",
    "VPC interface endpoints",
    "AWS WAF",
    "Lambda (API)",
    "CloudFront + Lambda@Edge",
    "CloudWatch (logs, alarms, dashboard)",
    "X-Ray spans (Transaction Search)",
    "Secrets Manager, KMS",
)


@dataclass(frozen=True)
class Line:
    kind: str
    detail: str
    usd: float


def _resources(templates: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (resource["Type"], resource.get("Properties", {}))
        for template in templates
        for resource in template["Resources"].values()
    ]


def _of(resources: list[tuple[str, dict[str, Any]]], type_: str) -> list[dict[str, Any]]:
    return [props for kind, props in resources if kind == type_]


def nat_monthly(count: int) -> float:
    return count * PRICES["nat_gateway_hour"] * HOURS_PER_MONTH


def proxy_monthly(vcpus: int) -> float:
    """RDS Proxy bills the instance's vCPUs, at least two."""
    return max(vcpus, 2) * PRICES["rds_proxy_vcpu_hour"] * HOURS_PER_MONTH


def _aurora(resources: list[tuple[str, dict[str, Any]]]) -> list[Line]:
    """Aurora Serverless v2 at its ACU floor (more under load: docs/capacity.md), each
    instance (writer and readers) billed on its own; storage at 20 GB."""
    instances = sum(
        1
        for db in _of(resources, "AWS::RDS::DBInstance")
        if db["DBInstanceClass"] == "db.serverless"
    )
    lines = []
    for cluster in _of(resources, "AWS::RDS::DBCluster"):
        scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
        floor, ceiling = float(scaling.get("MinCapacity", 0)), float(scaling.get("MaxCapacity", 0))
        usd = instances * floor * PRICES["aurora_acu_hour"] * HOURS_PER_MONTH
        usd += 20 * PRICES["aurora_storage_gb_month"]
        detail = (
            f"Aurora Serverless v2, {instances} instance(s) at {floor:g} ACU "
            f"(up to {ceiling:g}), 20 GB"
        )
        lines.append(Line("RDS PostgreSQL", detail, usd))  # Aurora is an RDS engine
    return lines


def _rds(resources: list[tuple[str, dict[str, Any]]]) -> list[Line]:
    lines = _aurora(resources)
    for db in _of(resources, "AWS::RDS::DBInstance"):
        klass = str(db["DBInstanceClass"]).removeprefix("db.")
        if klass == "serverless":  # an Aurora instance: priced with its cluster
            continue
        copies = 2 if db.get("MultiAZ") else 1
        storage = int(db["AllocatedStorage"])
        usd = copies * (
            RDS_POSTGRES[klass].usd_per_hour * HOURS_PER_MONTH
            + storage * PRICES["rds_gp3_gb_month"]
        )
        az = "Multi-AZ" if copies == 2 else "single-AZ"
        lines.append(Line("RDS PostgreSQL", f"db.{klass} {az}, {storage} GB gp3", usd))
    for _proxy in _of(resources, "AWS::RDS::DBProxy"):
        vcpus = max(
            (
                RDS_POSTGRES[str(d["DBInstanceClass"]).removeprefix("db.")].vcpus
                for d in _of(resources, "AWS::RDS::DBInstance")
            ),
            default=2,
        )
        lines.append(Line("RDS Proxy", f"{max(vcpus, 2)} vCPU", proxy_monthly(vcpus)))
    return lines


def _rds_monitoring(resources: list[tuple[str, dict[str, Any]]], traffic: Traffic) -> list[Line]:
    """Performance Insights (its 7-day retention is free), Enhanced Monitoring (its events are
    CloudWatch Logs ingestion) and the exported PostgreSQL logs."""
    lines = []
    for db in _of(resources, "AWS::RDS::DBInstance"):
        parts, usd = [], 0.0
        if db.get("EnablePerformanceInsights"):
            days = int(db.get("PerformanceInsightsRetentionPeriod", 7))
            parts.append(f"Performance Insights {days} days" + (" (free)" if days == 7 else ""))
            if days != 7:
                raise ValueError("price Performance Insights' long-term retention first")
        interval = int(db.get("MonitoringInterval", 0))
        if interval:
            events = HOURS_PER_MONTH * 3600 / interval
            gb = events * ENHANCED_MONITORING_EVENT_KB / 1024**2
            parts.append(f"Enhanced Monitoring {interval} s (~{gb:.1f} GB logs)")
            usd += gb * PRICES["logs_ingested_gb"]
        exports = db.get("EnableCloudwatchLogsExports", [])
        if exports:
            parts.append(f"{'/'.join(exports)} logs ({traffic.db_log_gb:g} GB)")
            usd += traffic.db_log_gb * PRICES["logs_ingested_gb"]
        if parts:
            lines.append(Line("RDS monitoring", ", ".join(parts), usd))
    return lines


def _cache(resources: list[tuple[str, dict[str, Any]]]) -> list[Line]:
    lines = []
    for group in _of(resources, "AWS::ElastiCache::ReplicationGroup"):
        node, count = str(group["CacheNodeType"]), int(group.get("NumCacheClusters", 1))
        usd = count * ELASTICACHE_VALKEY[node].usd_per_hour * HOURS_PER_MONTH
        lines.append(Line("ElastiCache (Valkey)", f"{count} x {node}", usd))
    return lines


def _network(resources: list[tuple[str, dict[str, Any]]]) -> list[Line]:
    nats = len(_of(resources, "AWS::EC2::NatGateway"))
    lines = [Line("NAT gateways", f"{nats}", nat_monthly(nats))]
    for endpoint in _of(resources, "AWS::EC2::VPCEndpoint"):
        if endpoint.get("VpcEndpointType") != "Interface":
            continue
        azs = len(endpoint.get("SubnetIds", []))
        service = str(endpoint["ServiceName"]).rsplit(".", 1)[-1]
        usd = azs * PRICES["interface_endpoint_az_hour"] * HOURS_PER_MONTH
        lines.append(Line("VPC interface endpoints", f"{service} in {azs} AZs", usd))
    return lines


def _waf(resources: list[tuple[str, dict[str, Any]]], traffic: Traffic) -> list[Line]:
    lines = []
    for acl in _of(resources, "AWS::WAFv2::WebACL"):
        rules = len(acl.get("Rules", []))
        usd = (
            PRICES["waf_web_acl_month"]
            + rules * PRICES["waf_rule_month"]
            + traffic.requests / 1e6 * PRICES["waf_million_requests"]
        )
        lines.append(Line("AWS WAF", f"1 web ACL, {rules} rules", usd))
    return lines


MIGRATE_COMMAND = ["courtside.migrate.handler"]


def _app_functions(resources: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The app's functions: every image function but the migrator (the whole app, or one per
    service when split)."""
    images = [
        f
        for f in _of(resources, "AWS::Lambda::Function")
        if f.get("PackageType") == "Image"
        and f.get("ImageConfig", {}).get("Command") != MIGRATE_COMMAND
    ]
    if not images:
        raise ValueError("no function of the app in the templates")
    return images


def _compute(resources: list[tuple[str, dict[str, Any]]], traffic: Traffic) -> list[Line]:
    functions = _app_functions(resources)
    # The traffic's split between services is not known: priced at their mean memory.
    memory_gb = sum(int(f["MemorySize"]) for f in functions) / len(functions) / 1024
    architecture = (functions[0].get("Architectures") or ["x86_64"])[0]
    services = f", {len(functions)} functions" if len(functions) > 1 else ""
    invocations = traffic.requests * traffic.origin_share
    gb_seconds = invocations * traffic.duration_ms / 1000 * memory_gb
    lambda_usd = (
        invocations / 1e6 * PRICES["lambda_million_requests"]
        + gb_seconds * PRICES[f"lambda_gb_second_{architecture}"]
    )
    edge_usd = (
        invocations / 1e6 * PRICES["edge_million_requests"]
        + invocations * EDGE_DURATION_S * EDGE_MEMORY_GB * PRICES["edge_gb_second"]
    )
    cdn_usd = (
        max(0, traffic.gb_out - CLOUDFRONT_FREE_GB) * PRICES["cloudfront_gb_out"]
        + max(0, traffic.requests - CLOUDFRONT_FREE_REQUESTS)
        / 1e4
        * PRICES["cloudfront_10k_https_requests"]
    )
    return [
        Line(
            "Lambda (API)",
            f"{invocations / 1e6:g}M invocations x {traffic.duration_ms} ms x "
            f"{memory_gb:g} GB {architecture}{services}",
            lambda_usd,
        ),
        Line(
            "CloudFront + Lambda@Edge",
            f"{traffic.requests / 1e6:g}M requests, {traffic.gb_out} GB out; "
            f"edge signer on {invocations / 1e6:g}M",
            cdn_usd + edge_usd,
        ),
    ]


def _operations(resources: list[tuple[str, dict[str, Any]]], traffic: Traffic) -> list[Line]:
    alarms = len(_of(resources, "AWS::CloudWatch::Alarm"))
    dashboards = len(_of(resources, "AWS::CloudWatch::Dashboard"))
    secrets = len(_of(resources, "AWS::SecretsManager::Secret"))
    keys = len(_of(resources, "AWS::KMS::Key"))
    return [
        Line(
            "CloudWatch (logs, alarms, dashboard)",
            f"{traffic.log_gb} GB logs, {alarms} alarms, {dashboards} dashboard",
            traffic.log_gb * PRICES["logs_ingested_gb"]
            + alarms * PRICES["alarm_month"]
            + dashboards * PRICES["dashboard_month"],
        ),
        Line(
            "Secrets Manager, KMS",
            f"{secrets} secrets, {keys} keys",
            secrets * PRICES["secret_month"] + keys * PRICES["kms_key_month"],
        ),
    ]


def _tracing(resources: list[tuple[str, dict[str, Any]]], traffic: Traffic) -> list[Line]:
    """Spans ingested into `aws/spans` (priced as CloudWatch Logs ingestion; 1 % indexed, free)
    when the functions trace (OTEL_ENABLED=true)."""
    traced = [
        f
        for f in _app_functions(resources)
        if f.get("Environment", {}).get("Variables", {}).get("OTEL_ENABLED") == "true"
    ]
    if not traced:
        return []
    spans = traffic.requests * traffic.origin_share * SPANS_PER_TRACED_REQUEST
    gb = spans * SPAN_KB / 1024 / 1024
    return [
        Line(
            "X-Ray spans (Transaction Search)",
            f"{spans / 1e6:g}M spans, {gb:.1f} GB",
            gb * PRICES["logs_ingested_gb"],
        )
    ]


def estimate(env: str, templates: Iterable[Mapping[str, Any]]) -> list[Line]:
    """The environment's monthly cost, by resource kind, from all its stacks' templates."""
    resources = _resources(templates)
    traffic = TRAFFIC[env]
    lines = [
        *_rds(resources),
        *_rds_monitoring(resources, traffic),
        *_cache(resources),
        *_network(resources),
        *_waf(resources, traffic),
        *_compute(resources, traffic),
        *_operations(resources, traffic),
        *_tracing(resources, traffic),
    ]
    return lines


def by_kind(lines: Iterable[Line]) -> dict[str, tuple[str, float]]:
    """kind -> (details joined, total) for every kind in `KINDS` (absent kinds cost $0)."""
    grouped: dict[str, tuple[list[str], float]] = {kind: ([], 0.0) for kind in KINDS}
    for line in lines:
        details, usd = grouped[line.kind]
        grouped[line.kind] = ([*details, line.detail], usd + line.usd)
    return {kind: ("; ".join(d) or "none", usd) for kind, (d, usd) in grouped.items()}


def _money(usd: float) -> str:
    return f"${usd:,.0f}" if usd >= 0.5 or usd == 0 else "<$1"


def markdown_table(estimates: Mapping[str, list[Line]]) -> str:
    """The table of docs/deploy.md: one row per kind, one column per environment, and totals."""
    envs = [e for e in ENVIRONMENTS if e in estimates]
    kinds = {env: by_kind(estimates[env]) for env in envs}
    rows = ["| Item | " + " | ".join(envs) + " |", "| --- |" + " --- |" * len(envs)]
    for kind in KINDS:
        cells = []
        for env in envs:
            detail, usd = kinds[env][kind]
            cells.append(f"{detail}: **{_money(usd)}**" if usd > 0 else "—")
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    totals = [f"**≈ {_money(sum(line.usd for line in estimates[env]))} / month**" for env in envs]
    rows.append("| **Total** | " + " | ".join(totals) + " |")
    prod_db = next(
        (line for line in estimates.get("prod", []) if line.kind == "RDS PostgreSQL"), None
    )
    prod_vcpus = RDS_POSTGRES[prod_db.detail.split()[0].removeprefix("db.")].vcpus if prod_db else 2
    rows += [
        "",
        f"Prices: {PRICES_AS_OF}, before free tiers. Traffic assumed per month: "
        + "; ".join(
            f"{env} {TRAFFIC[env].requests / 1e6:g}M requests ({TRAFFIC[env].origin_share:.0%} "
            f"reach the function), {TRAFFIC[env].gb_out} GB out, {TRAFFIC[env].log_gb} GB logs, "
            f"{TRAFFIC[env].db_log_gb:g} GB PostgreSQL logs"
            for env in envs
        )
        + ". Not deployed, for comparison: an RDS Proxy in prod would add "
        + f"{_money(proxy_monthly(prod_vcpus))}, each NAT gateway {_money(nat_monthly(1))} "
        + "plus $0.048 per GB it carries. Enhanced Monitoring's volume assumes "
        + f"{ENHANCED_MONITORING_EVENT_KB} KB per event (not measured).",
    ]
    return "\n".join(rows)


def load_templates(cdk_out: Path, env: str) -> list[dict[str, Any]]:
    """Every template of `env`'s stacks in a cloud assembly directory."""
    paths = sorted(cdk_out.glob(f"Courtside-{env}.template.json")) + sorted(
        cdk_out.glob(f"Courtside-{env}-*.template.json")
    )
    if not paths:
        raise SystemExit(f"no Courtside-{env} templates in {cdk_out}: run `make synth ENV={env}`")
    return [json.loads(path.read_text()) for path in paths]


def synthesize_all() -> dict[str, list[dict[str, Any]]]:
    """Synthesize every environment in-process (as the tests do) and return its templates."""
    import os

    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.application import build, new_app

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    found = {}
    for env in ENVIRONMENTS:
        with tempfile.TemporaryDirectory() as outdir:
            app = new_app(context={**context, "env": env}, outdir=outdir)
            build(app, nag=False)
            app.synth()
            found[env] = load_templates(Path(outdir), env)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", nargs="?", choices=ENVIRONMENTS, help="environment to price")
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out", help="cloud assembly")
    parser.add_argument("--markdown", action="store_true", help="docs/deploy.md's table")
    args = parser.parse_args(argv)
    if args.markdown:
        templates = synthesize_all()
        print(markdown_table({env: estimate(env, t) for env, t in templates.items()}))
        return 0
    if args.env is None:
        parser.error("give an environment, or --markdown")
    lines = estimate(args.env, load_templates(args.cdk_out, args.env))
    for kind, (detail, usd) in by_kind(lines).items():
        print(f"{kind:<40} {_money(usd):>8}  {detail}")
    print(f"{'Total (' + args.env + ')':<40} {_money(sum(line.usd for line in lines)):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
