"""Schema migrations: the CLI's `migrate`, tests, and the deploy-time Lambda entry point.

The Lambda image runs `courtside.migrate.handler` (the image's command overridden) on every
deploy, before the API function is updated. Alembic's env.py serialises concurrent runs with
a PostgreSQL advisory lock.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

log = logging.getLogger(__name__)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at our migrations; `url` overrides the settings' URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point: migrate to head and say which revision the schema is at.

    Any failure raises, so the deploy-time trigger fails and CloudFormation rolls back.
    """
    from courtside.db import database_url
    from courtside.settings import get_database_settings

    upgrade(database_url(get_database_settings()))
    revision = head_revision()
    log.info("migrations applied", extra={"revision": revision})
    return {"status": "ok", "revision": revision}
