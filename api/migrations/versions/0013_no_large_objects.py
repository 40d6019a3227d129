"""no role of the app may create large objects

PostgreSQL only; a no-op on SQLite. `lo_create`, `lo_creat` and `lo_from_bytea` are
executable by PUBLIC by default, so every role, `courtside_public` included, could store
large objects that nothing reads and nothing cleans up: a way to fill the disk through a
read-only role. The app uses none. Revoked from PUBLIC here (the server-side `lo_import` and
`lo_export` are not PUBLIC's to begin with; writing to or reading from a large object needs
privileges on an existing one, which no role is granted).

Function privileges belong to each database, and only the functions' owner (or a superuser)
can revoke them. A migrator that is neither (RDS's master user does not own `pg_catalog`)
revokes nothing; PostgreSQL only warns. So the migration checks the result and logs an
error naming the statements the functions' owner must run: the roles' privileges are then
not what docs/services.md says, and the deploy log says so.

Revision ID: 0013_no_large_objects
Revises: 0012_email_not_unique
Create Date: 2026-12-06 10:00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_no_large_objects"
down_revision: str | None = "0012_email_not_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("courtside.migrate")

CREATORS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)")
"""Every server function that creates a large object (literal: no SQL is built from input)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in CREATORS:
        op.execute(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC")
    still = [
        function
        for function in CREATORS
        if op.get_bind()
        .execute(
            sa.text("SELECT has_function_privilege('public', :f, 'EXECUTE')"),
            {"f": f"pg_catalog.{function}"},
        )
        .scalar()
    ]
    if still:
        log.error(
            "large objects: EXECUTE could not be revoked from PUBLIC (the migrator does not "
            "own pg_catalog's functions); as their owner run: %s",
            "; ".join(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{f} FROM PUBLIC" for f in still),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in CREATORS:
        op.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO PUBLIC")
