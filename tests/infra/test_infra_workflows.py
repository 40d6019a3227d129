"""The GitHub workflows: valid YAML, running the README's make targets, OIDC for deploys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # cfn-lint depends on PyYAML

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def _load(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    return data


def _runs(workflow: dict[str, Any]) -> str:
    return "\n".join(
        step.get("run", "")
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])  # a job calling a reusable workflow has none
    )


def _job(workflow: dict[str, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    return dict(job)


def test_test_workflow_runs_make_test_with_postgres_and_redis():
    workflow = _load("test.yml")
    job = _job(workflow)

    assert "make test" in _runs(workflow)
    assert {"postgres", "redis"} <= set(job["services"])
    assert job["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://")


def _apt_installed(script: str) -> set[str]:
    """The packages of every `apt-get install` in `script` (continuation lines joined)."""
    packages: set[str] = set()
    for command in script.replace("\\\n", " ").splitlines():
        words = command.split()
        if "apt-get" in words and "install" in words:
            after = words[words.index("install") + 1 :]
            packages |= {w for w in after if not w.startswith("-") and w not in {">/dev/null"}}
    return packages


def test_test_workflow_has_what_the_self_started_servers_need():
    """initdb/pg_ctl as the postgres user, redis-server, openssl and Chromium are not in
    python:3.11-bookworm: the rotation, Redis TLS and browser tests need them installed."""
    workflow = _load("test.yml")
    job = _job(workflow)
    runs = _runs(workflow)

    assert job["container"].startswith(("python:3.11-bookworm", "debian:bookworm"))
    assert {"postgresql", "redis-server", "openssl", "chromium"} <= _apt_installed(runs)
    # PostgreSQL's binaries are not on PATH in Debian: the newest version's bin goes there.
    assert re.search(r"/usr/lib/postgresql/\*/bin.*\n.*>> \"\$GITHUB_PATH\"", runs), runs
    # ... and before `make test` runs.
    steps = [step.get("run", "") for step in job["steps"]]
    install = next(i for i, run in enumerate(steps) if "apt-get install" in run)
    make_test = next(i for i, run in enumerate(steps) if run.strip() == "make test")
    assert install < make_test


def test_apt_install_parser_reads_continuation_lines():
    script = "apt-get install -y -qq \\\n  postgresql redis-server >/dev/null\napt-get update"
    assert _apt_installed(script) == {"postgresql", "redis-server"}


def test_test_workflow_is_reusable_without_cancelling_its_callers():
    workflow = _load("test.yml")
    triggers = workflow[True]  # YAML reads the bare key `on` as True.

    assert "workflow_call" in triggers
    assert "github.workflow" in workflow["concurrency"]["group"]


def test_deploy_workflow_runs_the_tests_first():
    workflow = _load("deploy.yml")
    jobs = workflow["jobs"]

    assert jobs["test"]["uses"] == "./.github/workflows/test.yml"
    for name, job in jobs.items():
        if name == "test":
            continue
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if any("make deploy" in step.get("run", "") for step in job.get("steps", [])):
            assert "test" in needs, f"{name} deploys without waiting for the tests"
    assert "make deploy ENV=${{ matrix.environment }}" in _runs(workflow)


def test_deploy_workflow_uses_oidc_and_make_deploy_per_environment():
    workflow = _load("deploy.yml")
    deploy = workflow["jobs"]["deploy"]

    # OIDC tokens only for the job that assumes the role, not for the test or plan jobs.
    assert "id-token" not in workflow["permissions"]
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"] == "${{ matrix.environment }}"
    assert deploy["strategy"]["max-parallel"] == 1
    triggers = workflow[True]
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["push"]["tags"] == ["v*"]
    credentials = next(
        s for s in deploy["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws")
    )
    assert "role-to-assume" in credentials["with"]
    assert "aws-access-key-id" not in credentials["with"]
