"""The GitHub workflows: valid YAML, the README's make targets, OIDC, promotion, pinned actions;
the tests on every supported Python up to the Lambda image's; and one PostgreSQL major in CI,
docker-compose.yml and RDS."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # cfn-lint depends on PyYAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


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

    assert job["container"] == "python:${{ matrix.python }}-bookworm"
    assert {"redis-server", "openssl", "chromium"} <= _apt_installed(runs)
    assert any(p.startswith("postgresql-") and p[11:].isdigit() for p in _apt_installed(runs))
    # PostgreSQL's binaries are not on PATH in Debian: the newest version's bin goes there.
    assert re.search(r"/usr/lib/postgresql/\*/bin.*\n.*>> \"\$GITHUB_PATH\"", runs), runs
    # ... and before `make test` runs.
    steps = [step.get("run", "") for step in job["steps"]]
    install = next(i for i, run in enumerate(steps) if "apt-get install" in run)
    make_test = next(i for i, run in enumerate(steps) if run.strip() == "make test")
    assert install < make_test


def _lambda_python() -> str:
    """The Python minor of the Lambda image (api/Dockerfile's final FROM, e.g. `3.12`)."""
    froms = re.findall(r"^FROM (\S+)", (ROOT / "api" / "Dockerfile").read_text(), re.MULTILINE)
    image, _, tag = froms[-1].partition(":")
    assert image == "public.ecr.aws/lambda/python"
    return tag


def test_tests_run_on_the_oldest_supported_python_and_the_lambda_images():
    """A matrix: pyproject's minimum Python (the development machines') and the Lambda image's,
    each job's venv made by that Python (the Makefile's PYTHON), not another on the PATH."""
    job = _job(_load("test.yml"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    oldest = project["requires-python"].removeprefix(">=")

    assert job["strategy"]["matrix"]["python"] == [oldest, _lambda_python()]
    assert job["strategy"]["fail-fast"] is False  # one Python failing still reports the other
    assert job["env"]["PYTHON"] == "python${{ matrix.python }}"
    assert re.search(r"^PYTHON \?= ", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert "$(PYTHON) -m venv" in (ROOT / "Makefile").read_text()


def test_apt_install_parser_reads_continuation_lines():
    script = "apt-get install -y -qq \\\n  postgresql redis-server >/dev/null\napt-get update"
    assert _apt_installed(script) == {"postgresql", "redis-server"}


def test_test_workflow_is_reusable_without_cancelling_its_callers():
    workflow = _load("test.yml")
    triggers = workflow[True]  # YAML reads the bare key `on` as True.

    assert "workflow_call" in triggers
    assert "github.workflow" in workflow["concurrency"]["group"]


def _uses(workflow: dict[str, Any]) -> list[str]:
    return [
        step["uses"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    ]


def test_deploy_promotes_one_commit_through_dev_staging_and_prod():
    """prod runs only after staging deployed and smoke-tested the same commit, in the same run,
    and staging only after dev; everything only after the tests."""
    workflow = _load("deploy.yml")
    jobs = workflow["jobs"]

    assert jobs["test"]["uses"] == "./.github/workflows/test.yml"
    chain = {"dev": "test", "staging": "dev", "prod": "staging"}
    for environment, previous in chain.items():
        job = jobs[environment]
        assert job["uses"] == "./.github/workflows/deploy-environment.yml"
        assert job["with"] == {
            "environment": environment,
            "hotfix": "${{ inputs.hotfix == true }}",
            "no_rollback": "${{ inputs.no_rollback == true }}",
        }
        assert job["needs"] == [previous]
        assert "if" not in job  # no way around the chain
        assert job["permissions"]["id-token"] == "write"
    assert set(jobs) == {"test", *chain}
    triggers = workflow[True]  # YAML reads the bare key `on` as True.
    assert triggers["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in triggers
    assert "id-token" not in workflow["permissions"]


def test_a_waiting_prod_approval_holds_only_prod():
    """Concurrency per environment, on the deploy job: no workflow-wide group that a prod job
    waiting for its reviewer would hold while dev and staging wait behind it."""
    promotion = _load("deploy.yml")
    environment = _job(_load("deploy-environment.yml"))

    assert "concurrency" not in promotion
    for job in promotion["jobs"].values():
        assert "concurrency" not in job
    assert environment["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,  # a deploy is never cut off halfway
    }


@pytest.mark.parametrize("name", ["test.yml", "deploy.yml", "deploy-environment.yml"])
def test_no_workflow_hands_its_secrets_on(name):
    """The deploy uses OIDC and variables only: `secrets: inherit` would pass every secret."""
    workflow = _load(name)
    for job_name, job in workflow["jobs"].items():
        assert "secrets" not in job, f"{name}: {job_name}"
    assert "secrets: inherit" not in (WORKFLOWS / name).read_text()


def test_a_hotfix_and_a_first_deploy_are_chosen_by_hand():
    dispatch = _load("deploy.yml")[True]["workflow_dispatch"]["inputs"]
    called = _load("deploy-environment.yml")[True]["workflow_call"]["inputs"]
    job = _job(_load("deploy-environment.yml"))

    for name in ("hotfix", "no_rollback"):
        assert dispatch[name]["type"] == called[name]["type"] == "boolean"
        assert dispatch[name]["default"] is called[name]["default"] is False
    # make deploy reads them (infra.mk: HOTFIX=1 -> -c hotfix=true, NO_ROLLBACK=1 -> --no-rollback)
    assert job["env"]["HOTFIX"] == "${{ inputs.hotfix && '1' || '' }}"
    assert job["env"]["NO_ROLLBACK"] == "${{ inputs.no_rollback && '1' || '' }}"
    infra = (ROOT / "infra.mk").read_text()
    assert "-c hotfix=true" in infra and "--no-rollback" in infra


def test_each_environment_checks_the_account_before_anything_is_created():
    steps = [step.get("run", "") for step in _job(_load("deploy-environment.yml"))["steps"]]
    preflight = next(i for i, run in enumerate(steps) if "make preflight" in run)
    synth = next(i for i, run in enumerate(steps) if "make synth" in run)
    deploy = next(i for i, run in enumerate(steps) if "make deploy" in run)

    assert preflight < synth < deploy
    assert 'make preflight ENV="$ENVIRONMENT_NAME"' in steps[preflight]


# The releases each action was last moved to (their SHAs in the workflows, the tag in the
# comment); a test keeps every workflow on the same commit of an action.
CURRENT_MAJORS = {
    "actions/checkout": 7,
    "actions/setup-python": 7,
    "actions/setup-node": 7,
    "docker/setup-qemu-action": 4,
    "docker/setup-buildx-action": 4,
    "aws-actions/configure-aws-credentials": 6,
}


def test_actions_are_current_releases_and_one_commit_everywhere():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS.glob("*.yml"):
        for match in re.finditer(
            r"uses:\s*([^@\s]+)@([0-9a-f]{40})\s*#\s*v(\d+)\.(\d+)\.(\d+)", path.read_text()
        ):
            action, sha, major = match.group(1), match.group(2), int(match.group(3))
            pins.setdefault(action, set()).add((sha, match.group(0).split("#")[1].strip()))
            assert major >= CURRENT_MAJORS[action], f"{path.name}: {action} v{major}"
    assert set(pins) == set(CURRENT_MAJORS)
    for action, found in pins.items():
        assert len(found) == 1, f"{action} pinned to different commits: {found}"


def test_each_environment_deploys_then_smoke_tests_its_public_url():
    workflow = _load("deploy-environment.yml")
    job = _job(workflow)
    steps = [step.get("run", "") for step in job["steps"]]
    deploy = next(i for i, run in enumerate(steps) if "make deploy" in run)
    smoke = next(i for i, run in enumerate(steps) if "scripts/smoke.py" in run)
    synth = next(i for i, run in enumerate(steps) if "make synth" in run)

    assert synth < deploy < smoke
    assert 'make deploy ENV="$ENVIRONMENT_NAME" APPROVAL=never' in steps[deploy]
    assert ".SiteUrl" in steps[smoke]
    assert job["env"]["ENVIRONMENT_NAME"] == "${{ inputs.environment }}"
    # The GitHub environment's rules (prod: required reviewers) gate this job.
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert workflow[True]["workflow_call"]["inputs"]["environment"]["required"] is True


def test_deploy_uses_oidc_not_stored_keys():
    workflow = _load("deploy-environment.yml")
    job = _job(workflow)

    assert "id-token" not in workflow["permissions"]
    assert job["permissions"]["id-token"] == "write"
    credentials = next(
        s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws")
    )
    assert "role-to-assume" in credentials["with"]
    assert "aws-access-key-id" not in credentials["with"]


@pytest.mark.parametrize("name", ["test.yml", "deploy.yml", "deploy-environment.yml"])
def test_third_party_actions_are_pinned_by_commit(name):
    text = (WORKFLOWS / name).read_text()
    for line in text.splitlines():
        match = re.search(r"uses:\s*(\S+)", line)
        if match is None or match.group(1).startswith("./"):
            continue
        action, _, ref = match.group(1).partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}: {action} is not pinned ({ref})"
        assert re.search(r"#\s*v\d+\.\d+\.\d+\s*$", line), f"{name}: {action} has no version note"


def test_one_postgresql_major_in_ci_compose_and_rds():
    from database.infrastructure import ENGINE_VERSION, POSTGRES_MAJOR

    workflow = _load("test.yml")
    job = _job(workflow)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    assert ENGINE_VERSION.postgres_major_version == POSTGRES_MAJOR  # what the RDS instance runs
    assert job["services"]["postgres"]["image"].split(":")[1] == POSTGRES_MAJOR
    assert compose["services"]["postgres"]["image"].split(":")[1].split("-")[0] == POSTGRES_MAJOR
    assert f"postgresql-{POSTGRES_MAJOR}" in _apt_installed(_runs(workflow))
