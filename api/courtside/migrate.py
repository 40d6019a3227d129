"""Schema migrations: the CLI's `migrate`, tests, and the deploy-time Lambda entry point.

The Lambda image runs `courtside.migrate.handler` (the image's command overridden) on every
deploy, before the API function is updated. Alembic's env.py serialises concurrent runs with
a PostgreSQL advisory lock.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util.exc import CommandError

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


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None
    return head


def database_revision(url: str) -> str | None:
    """The revision the database is at (None before the first migration)."""
    # lazy: SQLAlchemy's engine loads only to read the revision
    from courtside.db import build_engine
    from courtside.settings import get_database_settings

    async def read() -> str | None:
        engine = build_engine(get_database_settings(), url=url, bounded=False)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def is_known_revision(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except (CommandError, ResolutionError):
        return False


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point: migrate to head and say which revision the schema is at.

    A database already at a revision this image does not know was migrated by a newer
    release; rolling the code back must not fail on it (migrations are expand/contract, so
    the older code runs on the newer schema), so that case succeeds without changes.
    Any other failure raises, so the deploy-time trigger fails and CloudFormation rolls back.

    With ``APP_DATABASE_SECRET_ARN`` set (on AWS), the app role's password is then set from
    that secret (`courtside.app_role`): the API logs in as that role, never as the owner. With
    ``SERVICE_DATABASE_SECRET_ARNS`` (a split deployment), each service role's from its own.
    """
    # lazy: the Lambda migrator's path only
    from courtside.app_role import AppRoleSettings, set_app_role_password, set_role_passwords
    from courtside.db import database_url
    from courtside.settings import get_database_settings

    url = database_url(get_database_settings())
    current = database_revision(url)
    head = head_revision()
    if current is not None and not is_known_revision(current):
        log.warning("database is ahead of this image (%s > %s); not migrating", current, head)
        result = {"status": "ahead", "revision": current, "image_head": head}
    else:
        upgrade(url)
        log.info("migrations applied; schema at %s", head)
        result = {"status": "ok", "revision": head}
    roles = AppRoleSettings()
    if roles.app_database_secret_arn:
        result["app_role"] = set_app_role_password(url, roles.app_database_secret_arn)
        log.info("password of database role %s set from its secret", result["app_role"])
    if roles.service_database_secret_arns:
        logins = set_role_passwords(url, roles.service_database_secret_arns)
        result["service_roles"] = ",".join(logins)
        log.info("passwords of database roles %s set from their secrets", result["service_roles"])
    return result
