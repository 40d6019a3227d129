"""scripts/cost_estimate.py prices what the templates hold, and docs/deploy.md shows its table."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from scripts import cost_estimate

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


@pytest.fixture(scope="module")
def estimates(synths):
    return {
        name: cost_estimate.estimate(name, synth.templates.values())
        for name, synth in synths.items()
    }


def test_docs_table_is_the_scripts_output(estimates):
    table = cost_estimate.markdown_table(estimates)

    assert table in DOC.read_text(), (
        "docs/deploy.md's cost table is stale: "
        "python3 scripts/cost_estimate.py --markdown, and paste it there"
    )


def test_every_kind_is_priced_from_the_template(estimates, synths):
    prod = cost_estimate.by_kind(estimates["prod"])
    config = synths["prod"].deployment.config

    assert f"db.{config.db_instance_class} Multi-AZ" in prod["RDS PostgreSQL"][0]
    assert prod["RDS PostgreSQL"][1] > 2 * 0.1 * 730  # two copies of an instance
    assert prod["ElastiCache (Valkey)"][0] == f"2 x {config.cache_node_type}"
    assert prod["NAT gateways"][1] == 0
    assert prod["RDS Proxy"][1] == 0
    assert prod["AWS WAF"][0] == "1 web ACL, 6 rules"
    assert prod["RDS monitoring"][0] == (
        "Performance Insights 7 days (free), Enhanced Monitoring 60 s (~0.6 GB logs), "
        "postgresql/upgrade logs (2 GB)"
    )
    dev = cost_estimate.by_kind(estimates["dev"])
    assert dev["AWS WAF"] == ("none", 0.0)  # waf_enabled=false
    assert dev["RDS monitoring"][0] == "postgresql/upgrade logs (0.2 GB)"  # no PI, no EM


def test_a_nat_gateway_or_a_proxy_in_a_template_would_show(synths):
    templates = copy.deepcopy(list(synths["staging"].templates.values()))
    resources = templates[0]["Resources"]
    resources["Nat"] = {"Type": "AWS::EC2::NatGateway", "Properties": {}}
    resources["Proxy"] = {"Type": "AWS::RDS::DBProxy", "Properties": {}}

    kinds = cost_estimate.by_kind(cost_estimate.estimate("staging", templates))

    assert kinds["NAT gateways"][1] == pytest.approx(0.048 * 730)
    assert kinds["RDS Proxy"][1] == pytest.approx(2 * 0.015 * 730)


def test_total_is_the_sum_of_the_lines(estimates):
    table = cost_estimate.markdown_table(estimates)
    for env, lines in estimates.items():
        total = sum(line.usd for line in lines)
        assert f"≈ ${total:,.0f} / month" in table, env
