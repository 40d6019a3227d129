"""accounts: users with a role, API keys with a scope

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:56:24.687951
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rest_api_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("password_reset_required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('Admin', 'Consumer')", name=op.f("ck_rest_api_users_role")),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_rest_api_users_email_lower")),
        sa.CheckConstraint("token_version >= 0", name=op.f("ck_rest_api_users_token_version")),
        sa.CheckConstraint(
            "username = lower(username)", name=op.f("ck_rest_api_users_username_lower")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rest_api_users")),
        sa.UniqueConstraint("email", name=op.f("uq_rest_api_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_rest_api_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_api_keys_scope")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["rest_api_users.id"],
            name=op.f("fk_api_keys_created_by_id_rest_api_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("rest_api_users")
