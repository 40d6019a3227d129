"""Build the CDK app for one environment: what `app.py` and the tests both call."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import ENV_CONTEXT_KEY, EnvironmentConfig, load_config
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
        """Every stack of the environment, the us-east-1 ones first (deploy order)."""
        first: list[Stack] = (
            [self.main.cdn.edge_function.stack]
            if (self.main.cdn.edge_function.stack is not self.main)
            else []
        )
        if self.certificate is not None:
            first.insert(0, self.certificate)
        return [*first, self.main]


def build(app: App, *, nag: bool = True) -> Deployment:
    """Add the stacks of the environment named by ``-c env=`` (default dev) to `app`.

    With `nag`, cdk-nag's AwsSolutions pack validates every stack at synthesis; unacknowledged
    findings make synthesis fail.
    """
    env = app.node.try_get_context(ENV_CONTEXT_KEY)
    config = load_config(_context(app), env)
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


def _context(app: App) -> dict[str, object]:
    from infra.config import CONTEXT_KEY

    return {CONTEXT_KEY: app.node.try_get_context(CONTEXT_KEY)}
