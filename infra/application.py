"""Build the CDK app for one environment: what `app.py` and the tests both call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import (
    CONTEXT_KEY,
    ENV_CONTEXT_KEY,
    HOTFIX_CONTEXT_KEY,
    EnvironmentConfig,
    hotfix_requested,
    load_config,
)
from infra.stacks import (
    CourtsideStack,
    EdgeAlarmsStack,
    EdgeStack,
    edge_alarms_stack_name,
    edge_stack_name,
    stack_name,
)


def new_app(*, context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """An `App` without CDK's built-in CloudFormation validation.

    That validator (a WebAssembly engine compiled on every synthesis) took ~6 s of a ~13 s
    ``cdk synth`` and checks what cfn-lint checks; cfn-lint runs on every template in
    ``make synth`` and in the tests, and cdk-nag still runs here. See scripts/bench/synth_time.py.
    """
    return App(
        context=dict(context) if context is not None else None,
        outdir=outdir,
        builtin_cloud_formation_validation=False,
    )


@dataclass(frozen=True)
class Deployment:
    config: EnvironmentConfig
    main: CourtsideStack
    edge: EdgeStack | None
    edge_alarms: EdgeAlarmsStack | None

    @property
    def stacks(self) -> list[Stack]:
        """The environment's stacks in deploy order (``cdk deploy --all`` follows the
        dependencies: edge, then main, then edge alarms)."""
        return [s for s in (self.edge, self.main, self.edge_alarms) if s is not None]


def build(app: App, *, nag: bool = True) -> Deployment:
    """Add the stacks of the environment named by ``-c env=`` (default dev) to `app`;
    ``-c hotfix=true`` releases the functions with their alarms ignored (docs/deploy.md).

    With `nag`, cdk-nag's AwsSolutions pack validates every stack at synthesis; unacknowledged
    findings make synthesis fail.
    """
    env = app.node.try_get_context(ENV_CONTEXT_KEY)
    config = load_config({CONTEXT_KEY: app.node.try_get_context(CONTEXT_KEY)}, env)
    edge = (
        EdgeStack(app, edge_stack_name(config), config=config) if config.needs_edge_stack else None
    )
    main = CourtsideStack(
        app,
        stack_name(config),
        config=config,
        edge=edge.resources if edge else None,
        hotfix=hotfix_requested(app.node.try_get_context(HOTFIX_CONTEXT_KEY)),
    )
    edge_alarms = None
    if edge is not None:
        edge_alarms = EdgeAlarmsStack(
            app,
            edge_alarms_stack_name(config),
            config=config,
            distribution_id=main.cdn.distribution.distribution_id,
        )
        edge_alarms.add_stack_dependency(main)
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return Deployment(config=config, main=main, edge=edge, edge_alarms=edge_alarms)
