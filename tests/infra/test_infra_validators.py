"""cfn-lint on every synthesized template, and `cdk synth` through the pinned CLI, offline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # cfn-lint depends on PyYAML

from tests.infra.cfn_lint import CFN_LINT_CONFIG

ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"


def test_cfn_lint_ignores_only_the_two_deliberate_warnings():
    config = yaml.safe_load(CFN_LINT_CONFIG.read_text())
    assert config["ignore_checks"] == ["W3010", "W3005"]
    assert {"eu-west-1", "us-east-1"} <= set(config["regions"])


def test_cfn_lint_finds_nothing_in_any_template(synths, cfn_lint):
    templates = [
        str(path)
        for synth in synths.values()
        for path in sorted(synth.outdir.glob("*.template.json"))
    ]
    regions = sorted({s.deployment.config.region for s in synths.values()} | {"us-east-1"})
    assert len(templates) >= 3 * 2

    result = cfn_lint(
        "--config-file", str(CFN_LINT_CONFIG), "--format", "json", "--regions", *regions,
        "--", *templates,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr or result.stdout  # 2: errors, 4: warnings
    assert json.loads(result.stdout or "[]") == []


def test_cfn_lint_would_catch_a_deprecated_engine(synths, tmp_path, cfn_lint):
    """The check above has teeth: a deprecated engine version (W3691, docs/architecture.md) is
    flagged."""
    template = json.loads(
        next(iter(synths.values())).outdir.joinpath("Courtside-dev.template.json").read_text()
    )
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::RDS::DBInstance":
            resource["Properties"]["EngineVersion"] = "16.1"
            # The major-only version's resource-level ignore must not hide a full version.
            del resource["Metadata"]["cfn-lint"]
    path = tmp_path / "deprecated.template.json"
    path.write_text(json.dumps(template))

    result = cfn_lint("--config-file", str(CFN_LINT_CONFIG), "--format", "json", "--", str(path))

    assert "W3691" in {f["Rule"]["Id"] for f in json.loads(result.stdout)}


def test_cdk_cli_synthesizes_prod_offline(tmp_path):
    """The pinned CLI runs app.py without credentials. (How long it takes is measured by
    scripts/bench/synth_time.py, not asserted here: a timed test fails on a busy machine.)"""
    if not CDK_CLI.exists():
        pytest.fail("the pinned CDK CLI is not installed: run `make node_modules` (npm ci)")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_VERSION_CHECK="1",
    )
    result = subprocess.run(
        [
            str(CDK_CLI),
            "synth",
            "-c",
            "env=prod",
            "-o",
            str(tmp_path / "cdk.out"),
            "--quiet",
            "--no-notices",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    out = tmp_path / "cdk.out"
    for stack in ("Courtside-prod", "Courtside-prod-Edge", "Courtside-prod-EdgeAlarms"):
        assert (out / f"{stack}.template.json").exists(), stack
    assert "dummy1a" not in (out / "Courtside-prod.template.json").read_text()
    report = json.loads((out / "validation-report.json").read_text())
    assert [p["pluginName"] for p in report["pluginReports"]] == ["AwsSolutions"]
