"""the app's own database role: read and write the app's tables, nothing else

PostgreSQL only; a no-op on SQLite. Migrations keep running as the owner (the RDS master user);
the API connects as `courtside_app`, which

- may SELECT, INSERT, UPDATE, DELETE the tables of the app schema (the migration's
  `current_schema()`, DB_SCHEMA) and use their sequences;
- gets the same on tables and sequences that later migrations create (ALTER DEFAULT PRIVILEGES
  for the owner running this), so a new table cannot be forgotten;
- may read `alembic_version` but not change it;
- owns nothing and may create nothing: no CREATE on any schema, no TEMPORARY on the database
  (revoked from PUBLIC here), so ALTER, DROP, TRUNCATE and CREATE stay with the owner.

The role is created NOLOGIN; at deploy time the migrator sets its password from the app role's
own secret (`courtside.migrate.set_app_role_password`), which also turns LOGIN on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "courtside_app"
"""The role the statements below name (literally: no SQL is built from strings here)."""

# Roles are cluster-wide: another database on the server (or a concurrent run) may have
# created it already.
CREATE_ROLE = """
DO $$
BEGIN
    CREATE ROLE courtside_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$
"""

GRANTS = """
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO courtside_app', s);
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO courtside_app', s);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO courtside_app', s);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.alembic_version FROM courtside_app', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO courtside_app', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO courtside_app', s);
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$
"""

REVOKES = """
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM courtside_app', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM courtside_app', s);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM courtside_app', s);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM courtside_app', s);
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM courtside_app', s);
END
$$
"""

# Still granted something in another database on this server: leave the role there.
DROP_ROLE = """
DO $$
BEGIN
    DROP ROLE IF EXISTS courtside_app;
EXCEPTION WHEN dependent_objects_still_exist THEN
    NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_ROLE)
    op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REVOKES)
    op.execute(DROP_ROLE)
