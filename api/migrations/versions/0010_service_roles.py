"""one database role per service: public reads, web runs accounts, ingest writes league data

PostgreSQL only; a no-op on SQLite. A ``split`` deployment runs each service of
`courtside.services_registry` in its own function, logged in as its own role (an ``all-in-one``
deployment keeps `courtside_app` of 0007_app_role). Like `courtside_app`, the roles are created
NOLOGIN, own nothing and may create nothing; the migrator sets each one's password from that
role's own secret (`courtside.app_role`), which turns LOGIN on.

- `courtside_public` (the read API): SELECT on the league tables and `row_counts`. Nothing else:
  no write anywhere, no users, bets or keys.
- `courtside_ingest` (the pipeline's batches, and the settlement they trigger): SELECT, INSERT,
  UPDATE on the league tables (ingestion never deletes) and their sequences; `row_counts` (kept
  by triggers on players); its API key: SELECT `api_keys`, UPDATE only `last_used_at`; the event
  log: INSERT `audit_events`; settlement: SELECT and UPDATE the outcome columns of `bets`, the
  balance of `wallets`, INSERT `notifications`. Of the users table only `id`, `email`,
  `email_notifications` and `is_active` (who gets a settlement e-mail), and, by row-level
  security, only the rows of active users who asked for those e-mails: no username, password
  hash, role or token state, and nobody else's address.
- `courtside_web` (pages, sign-in, accounts, admin): SELECT on the league tables; DML on the
  accounts, betting and admin tables and their sequences, also on tables later migrations add
  (default privileges, as for `courtside_app`); of the league data it may change nothing but
  `games.updated_at`: placing and cancelling a bet lock the game row (FOR SHARE), and
  PostgreSQL grants a row lock only with UPDATE on at least one column.

Tests/api/db/test_service_roles.py holds the expected privileges of every table per role: a
table a later migration adds fails it until that migration grants (or declines) it explicitly.

Revision ID: 0010_service_roles
Revises: 0009
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_service_roles"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Roles are cluster-wide: another database on the server (or a concurrent run) may have
# created them already.
CREATE_ROLES = """
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['courtside_public', 'courtside_web', 'courtside_ingest'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$$
"""

GRANTS = """
DO $$
DECLARE
    s text := current_schema();
    t text;
    seq text;
    league text[] := ARRAY['teams', 'players', 'player_season_stats', 'games',
                           'odds_snapshots', 'predictions', 'injuries'];
    accounts text[] := ARRAY['rest_api_users', 'api_keys', 'revoked_tokens', 'wallets', 'bets',
                             'notifications', 'audit_events', 'feature_flags'];
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO courtside_public, courtside_web, courtside_ingest', s);

    FOREACH t IN ARRAY league LOOP
        EXECUTE format('GRANT SELECT ON %I.%I TO courtside_public, courtside_web', s, t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.%I TO courtside_ingest', s, t);
    END LOOP;
    EXECUTE format('GRANT SELECT ON %I.row_counts TO courtside_public, courtside_web', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.row_counts TO courtside_ingest', s);
    EXECUTE format('GRANT UPDATE (updated_at) ON %I.games TO courtside_web', s);

    FOREACH t IN ARRAY accounts LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO courtside_web', s, t);
    END LOOP;

    EXECUTE format('GRANT SELECT ON %I.api_keys TO courtside_ingest', s);
    EXECUTE format('GRANT UPDATE (last_used_at) ON %I.api_keys TO courtside_ingest', s);
    EXECUTE format('GRANT INSERT, SELECT (id) ON %I.audit_events TO courtside_ingest', s);
    EXECUTE format('GRANT SELECT ON %I.bets TO courtside_ingest', s);
    EXECUTE format(
        'GRANT UPDATE (status, profit_cents, settled_at) ON %I.bets TO courtside_ingest', s);
    EXECUTE format('GRANT SELECT ON %I.wallets TO courtside_ingest', s);
    EXECUTE format('GRANT UPDATE (balance_cents, updated_at) ON %I.wallets TO courtside_ingest', s);
    EXECUTE format('GRANT INSERT, SELECT (id) ON %I.notifications TO courtside_ingest', s);
    EXECUTE format(
        'GRANT SELECT (id, email, email_notifications, is_active) ON %I.rest_api_users '
        'TO courtside_ingest', s);

    -- The sequences (serial columns) of the tables each role inserts into.
    FOR seq, t IN
        SELECT d.objid::regclass::text, c.relname FROM pg_depend d
        JOIN pg_class c ON c.oid = d.refobjid
        JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S'
        WHERE c.relnamespace = s::regnamespace AND d.deptype IN ('a', 'i')
    LOOP
        IF t = ANY (league || ARRAY['audit_events', 'notifications']) THEN
            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO courtside_ingest', seq);
        END IF;
        IF t = ANY (accounts) THEN
            EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO courtside_web', seq);
        END IF;
    END LOOP;

    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO courtside_web', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO courtside_web', s);

    -- The users table: every row for the roles that run accounts, only the e-mail
    -- recipients for ingestion. The owner (migrations) is exempt, as are foreign-key checks.
    EXECUTE format('ALTER TABLE %I.rest_api_users ENABLE ROW LEVEL SECURITY', s);
    EXECUTE format(
        'CREATE POLICY accounts ON %I.rest_api_users TO courtside_app, courtside_web '
        'USING (true) WITH CHECK (true)', s);
    EXECUTE format(
        'CREATE POLICY email_recipients ON %I.rest_api_users FOR SELECT TO courtside_ingest '
        'USING (email_notifications AND is_active)', s);
END
$$
"""

REVOKES = """
DO $$
DECLARE
    s text := current_schema();
    r text;
BEGIN
    EXECUTE format('DROP POLICY IF EXISTS email_recipients ON %I.rest_api_users', s);
    EXECUTE format('DROP POLICY IF EXISTS accounts ON %I.rest_api_users', s);
    EXECUTE format('ALTER TABLE %I.rest_api_users DISABLE ROW LEVEL SECURITY', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM courtside_web', s);
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM courtside_web', s);
    FOREACH r IN ARRAY ARRAY['courtside_public', 'courtside_web', 'courtside_ingest'] LOOP
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', s, r);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s, r);
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', s, r);
    END LOOP;
END
$$
"""

# Still granted something in another database on this server: leave the role there.
DROP_ROLES = """
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['courtside_public', 'courtside_web', 'courtside_ingest'] LOOP
        BEGIN
            EXECUTE format('DROP ROLE IF EXISTS %I', r);
        EXCEPTION WHEN dependent_objects_still_exist THEN
            NULL;
        END;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_ROLES)
    op.execute(GRANTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REVOKES)
    op.execute(DROP_ROLES)
