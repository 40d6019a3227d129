"""Build the CDK app for one environment: what `app.py` and the tests both call."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import CONTEXT_KEY, ENV_CONTEXT_KEY, EnvironmentConfig, load_config
from infra.stacks import (
    CertificateStack,
    CourtsideStack,
    certificate_stack_name,
    stack_name,
)


@dataclass(frozen=True)
class Deployment:
    config: EnvironmentConfig
    main: CourtsideStack
    certificate: CertificateStack | None

    @property
    def stacks(self) -> list[Stack]:
        """The environment's stacks, the us-east-1 certificate first (deploy order).

        `EdgeFunction` adds one more us-east-1 stack of its own (``edge-lambda-stack-…``);
        ``cdk deploy --all`` orders all of them by their dependencies.
        """
        return [s for s in (self.certificate, self.main) if s is not None]


def build(app: App, *, nag: bool = True) -> Deployment:
    """Add the stacks of the environment named by ``-c env=`` (default dev) to `app`.

    With `nag`, cdk-nag's AwsSolutions pack validates every stack at synthesis; unacknowledged
    findings make synthesis fail.
    """
    env = app.node.try_get_context(ENV_CONTEXT_KEY)
    config = load_config({CONTEXT_KEY: app.node.try_get_context(CONTEXT_KEY)}, env)
    certificate_stack = (
        CertificateStack(app, certificate_stack_name(config), config=config)
        if config.needs_certificate_stack
        else None
    )
    main = CourtsideStack(
        app,
        stack_name(config),
        config=config,
        certificate=certificate_stack.certificate if certificate_stack else None,
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return Deployment(config=config, main=main, certificate=certificate_stack)
