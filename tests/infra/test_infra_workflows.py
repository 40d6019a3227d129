"""The GitHub workflows: valid YAML, running the README's make targets, OIDC for deploys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # cfn-lint depends on PyYAML

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def _load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def _runs(workflow: dict[str, Any]) -> str:
    return "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]
    )


def test_test_workflow_runs_make_test_with_postgres_and_redis():
    workflow = _load("test.yml")
    (job,) = workflow["jobs"].values()

    assert "make test" in _runs(workflow)
    assert {"postgres", "redis"} <= set(job["services"])
    assert job["env"]["TEST_DATABASE_URL"].startswith("postgresql://")


def test_deploy_workflow_uses_oidc_and_make_deploy_per_environment():
    workflow = _load("deploy.yml")
    deploy = workflow["jobs"]["deploy"]

    assert workflow["permissions"]["id-token"] == "write"
    assert "make deploy ENV=${{ matrix.environment }}" in _runs(workflow)
    assert deploy["environment"] == "${{ matrix.environment }}"
    assert deploy["strategy"]["max-parallel"] == 1
    # YAML reads the bare key `on` as True.
    triggers = workflow[True]
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["push"]["tags"] == ["v*"]
    credentials = next(
        s for s in deploy["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws")
    )
    assert "role-to-assume" in credentials["with"]
    assert "aws-access-key-id" not in credentials["with"]
