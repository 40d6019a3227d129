"""cfn-lint on every synthesized template, and `cdk synth` through the pinned CLI, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"  # the pinned one, next to this Python

# Warnings cfn-lint raises on every CDK app of this shape, each deliberate:
ACCEPTED_WARNINGS = {
    # The AZ names come from the committed cdk.context.json: that is what makes synthesis
    # offline and deterministic (DESIGN.md).
    "W3010",
    # CDK adds an explicit DependsOn next to a GetAtt for the role/function ordering it needs.
    "W3005",
}


def test_cfn_lint_finds_no_errors_in_any_template(synths):
    templates = [
        str(path)
        for synth in synths.values()
        for path in sorted(synth.outdir.glob("*.template.json"))
    ]
    regions = sorted({s.deployment.config.region for s in synths.values()} | {"us-east-1"})
    assert len(templates) >= 3 * 2

    result = subprocess.run(
        [
            str(CFN_LINT),
            "--format",
            "json",
            "--regions",
            *regions,
            "--",
            *templates,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode in (0, 4), result.stderr or result.stdout  # 2/6: errors
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == []
    unexpected = {f["Rule"]["Id"] for f in findings} - ACCEPTED_WARNINGS
    assert unexpected == set(), [f for f in findings if f["Rule"]["Id"] in unexpected]


def test_cfn_lint_would_catch_a_deprecated_engine(synths, tmp_path):
    """The check above has teeth: the deprecated version DESIGN.md saw flagged is flagged."""
    template = json.loads(
        next(iter(synths.values())).outdir.joinpath("Courtside-dev.template.json").read_text()
    )
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::RDS::DBInstance":
            resource["Properties"]["EngineVersion"] = "16.1"
    path = tmp_path / "deprecated.template.json"
    path.write_text(json.dumps(template))

    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert "W3691" in {f["Rule"]["Id"] for f in json.loads(result.stdout)}


def test_cdk_cli_synthesizes_prod_offline(tmp_path):
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
    started = time.monotonic()

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
    assert time.monotonic() - started < 60
    out = tmp_path / "cdk.out"
    assert (out / "Courtside-prod.template.json").exists()
    assert (out / "Courtside-prod-Certificate.template.json").exists()
    assert "dummy1a" not in (out / "Courtside-prod.template.json").read_text()
