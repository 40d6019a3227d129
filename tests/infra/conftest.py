"""Infrastructure tests: every environment synthesized once per session, with the CLI's context.

A plain ``App().synth()`` never fails on missing context — it silently substitutes dummy values
(``dummy1a``, ``DUMMY``) — so the apps here are built from the same context the CDK CLI reads
(``cdk.json`` and ``cdk.context.json``), and a test asserts no dummy value survives.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before aws_cdk (jsii) is imported: Node 20 is past its support window and jsii would print a
# banner on every run (docs/architecture.md, "Facts the code relies on").
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest
from aws_cdk.assertions import Template

from infra.application import Deployment, build, new_app
from infra.config import ENVIRONMENT_NAMES
from tests.infra.cfn_lint import CfnLint

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_cli_context() -> dict[str, Any]:
    """The context `cdk synth` sees: cdk.json's `context` merged with cdk.context.json."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    return context


@pytest.fixture
def cli_context() -> dict[str, Any]:
    return read_cli_context()


@dataclass(frozen=True)
class Synth:
    """One environment's synthesized app."""

    name: str
    deployment: Deployment
    outdir: Path
    main: Template
    main_json: dict[str, Any]
    edge: Template | None
    edge_alarms: Template | None

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        """Every CloudFormation template in the cloud assembly, by file name."""
        return {
            path.name: json.loads(path.read_text())
            for path in sorted(self.outdir.glob("*.template.json"))
        }

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        """The main stack's resources of one type, by logical id."""
        return {
            name: resource
            for name, resource in self.main_json["Resources"].items()
            if resource["Type"] == type_
        }

    def all_resources(self, type_: str) -> dict[str, dict[str, Any]]:
        """Resources of one type in every stack of the environment, by `<file>/<logical id>`."""
        return {
            f"{file_name}/{name}": resource
            for file_name, template in self.templates.items()
            for name, resource in template["Resources"].items()
            if resource["Type"] == type_
        }


def synthesize(
    name: str, outdir: Path, *, context: dict[str, Any] | None = None, nag: bool = True
) -> Synth:
    app = new_app(context={**(context or read_cli_context()), "env": name}, outdir=str(outdir))
    deployment = build(app, nag=nag)
    app.synth()
    main = Template.from_stack(deployment.main)
    return Synth(
        name=name,
        deployment=deployment,
        outdir=outdir,
        main=main,
        main_json=dict(main.to_json()),
        edge=Template.from_stack(deployment.edge) if deployment.edge else None,
        edge_alarms=(
            Template.from_stack(deployment.edge_alarms) if deployment.edge_alarms else None
        ),
    )


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    """dev, staging and prod, each synthesized once (with cdk-nag) for the whole session."""
    return {
        name: synthesize(name, tmp_path_factory.mktemp(f"cdk-{name}")) for name in ENVIRONMENT_NAMES
    }


@pytest.fixture(scope="session")
def synthesize_env(tmp_path_factory: pytest.TempPathFactory):
    """Synthesize one more (modified) environment: ``synthesize_env(name, context, nag=...)``."""

    def run(name: str, context: dict[str, Any], *, nag: bool = True) -> Synth:
        return synthesize(name, tmp_path_factory.mktemp(f"cdk-{name}"), context=context, nag=nag)

    return run


@pytest.fixture(scope="session")
def cfn_lint() -> Iterator[CfnLint]:
    """`cfn_lint(*args)`: the pinned cfn-lint's command line, one process for the session
    (see tests/infra/cfn_lint.py)."""
    linter = CfnLint()
    yield linter
    linter.close()


@pytest.fixture(params=ENVIRONMENT_NAMES)
def synth(request: pytest.FixtureRequest, synths: dict[str, Synth]) -> Synth:
    """Each environment in turn."""
    return synths[request.param]


@pytest.fixture
def origin_request_event() -> dict[str, Any]:
    """A CloudFront origin-request event with the body included (Lambda@Edge)."""
    data: dict[str, Any] = json.loads((FIXTURES / "origin_request_post.json").read_text())
    return data
