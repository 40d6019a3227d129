"""accounts people run themselves, and cache versions shared through the database

- users: `deleted_at`, set when the person deletes the account (the row stays, anonymised,
  so its bets still count);
- account_tokens: the links sent by e-mail to reset a password or confirm a new address,
  stored as the SHA-256 of their secret, single use, expiring;
- bankroll_resets: each time a user set their bankroll back to the start, with the balance
  before;
- cache_versions: the version token of each cache namespace, for processes caching
  in-process (no Redis), so a writer in another process invalidates what they serve.

PostgreSQL grants (0010_service_roles): `courtside_web` and `courtside_app` get the new
tables through their default privileges. `cache_versions` is also read by `courtside_public`
(its cached reads check the token) and written by `courtside_ingest` (a batch bumps the
namespaces it changed), which is only ever used when a deployment runs without Redis.

Revision ID: 0014_account_self_service
Revises: 0013_no_large_objects
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_account_self_service"
down_revision: str | None = "0013_no_large_objects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = """
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format('GRANT SELECT ON %I.cache_versions TO courtside_public', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.cache_versions TO courtside_ingest', s);
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "rest_api_users", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_change')",
            name=op.f("ck_account_tokens_purpose"),
        ),
        sa.CheckConstraint(
            "(purpose = 'email_change') = (new_email IS NOT NULL)",
            name=op.f("ck_account_tokens_email_change_address"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_account_tokens_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    op.create_index("ix_account_tokens_user_id", "account_tokens", ["user_id"])
    op.create_table(
        "bankroll_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("balance_before_cents", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_bankroll_resets_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bankroll_resets")),
    )
    op.create_index(
        "ix_bankroll_resets_user_id_reset_at", "bankroll_resets", ["user_id", "reset_at"]
    )
    op.create_table(
        "cache_versions",
        sa.Column("namespace", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("namespace", name=op.f("pk_cache_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANTS)


def downgrade() -> None:
    op.drop_table("cache_versions")
    op.drop_index("ix_bankroll_resets_user_id_reset_at", table_name="bankroll_resets")
    op.drop_table("bankroll_resets")
    op.drop_index("ix_account_tokens_user_id", table_name="account_tokens")
    op.drop_table("account_tokens")
    with op.batch_alter_table("rest_api_users") as batch_op:
        batch_op.drop_column("deleted_at")
