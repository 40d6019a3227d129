"""How `make test` spreads the suite over pytest-xdist workers (`-n 2 --dist loadfile`).

A module- or session-scoped fixture is set up once in every worker that runs a test using it.
So a worker is handed whole work units: a test file (its module-scoped fixtures: `make run`,
the 100-season database), or a whole directory in `SHARED_DIRECTORIES`: one whose conftest has
session- or package-scoped fixtures worth sharing (each environment synthesized once per run;
one live app and Chromium for the browser tests; the demo season loaded once), or the fault
tests (their own PostgreSQL and Redis under load, one file after another on one worker, so
that two load tests never share the machine).

The units are handed out in the workers' collection order, and the workers put the tests with
a costly setup of their own first (`costly_setups_first`): the long units start early, and
the many short files fill in at the end while the other worker finishes.

(`--dist loadgroup` with `xdist_group` marks would say the same, but pytest-xdist 3.8 passes
the group in the test id, which pytest 9 no longer lets it change: pytest-xdist issue 1386.)
"""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

SHARED_DIRECTORIES = (
    "tests/infra/",
    "tests/browser/",
    "tests/api/faults/",
    "tests/api/demo_season/",
)
"""Directories that are one work unit each: those whose conftest has session- or
package-scoped fixtures worth sharing (the demo season's connections: loaded once, on one
worker), and the fault tests, which drive load at servers of their own and measure how many
requests get through (run side by side on the two workers, they starved each other)."""

HARNESS = "tests"
"""The node id of tests/conftest.py's directory: its session fixtures (the database, the
SQLite file, the Redis key prefix) are per worker by design."""


def _unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    for directory in SHARED_DIRECTORIES:
        if path.startswith(directory):
            return directory
    return path


class SuiteScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """Load scheduling by work unit (`_unit`), in the order the workers collected them."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        # LoadScopeScheduling would sort the units by size; the workers' order is the plan.
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return _unit(nodeid)


def _costly_setup(item: pytest.Item) -> bool:
    """Whether the item uses a module-, package- or session-scoped fixture defined under
    tests/ (not the harness's). A session- or package-scoped one of a conftest outside
    `SHARED_DIRECTORIES` would be set up in every worker that runs one of the directory's
    files: that is refused, so the directory gets added there instead."""
    if not isinstance(item, pytest.Function):
        return False
    costly = False
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        fixture = definitions[-1]
        baseid = fixture.baseid or ""
        if fixture.scope == "function" or not baseid.startswith(f"{HARNESS}/"):
            continue
        conftest = not baseid.endswith(".py")
        shared = fixture.scope in ("session", "package")
        if shared and conftest and not _unit(item.nodeid).endswith("/"):
            raise pytest.UsageError(
                f"{item.nodeid} uses the {fixture.scope}-scoped fixture {fixture.argname!r} of "
                f"{baseid}: add that directory to SHARED_DIRECTORIES in {__file__}"
            )
        costly = True
    return costly


def costly_setups_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The items with a costly setup of their own first, each group in collection order."""
    return sorted(items, key=lambda item: not _costly_setup(item))
