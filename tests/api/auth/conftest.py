"""Fixtures for auth tests: settings overrides that are undone after the test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from courtside.settings import reset_settings


@pytest.fixture
def settings_env() -> Iterator[Callable[..., None]]:
    """`settings_env(NAME="value", ...)` sets environment variables for this test only and
    rebuilds the settings (they are read per request, so a running app sees them)."""
    saved: dict[str, str | None] = {}

    def apply(**values: str) -> None:
        for name, value in values.items():
            saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        reset_settings()

    yield apply
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    reset_settings()
