"""sign-in with an OpenID Connect provider

- sso_links: which account a provider's user (issuer + subject) signs in to, unique per
  (issuer, subject) and per (issuer, user): made at the first sign-in, used from then on;
- users: `email_confirmed_at`, set when a link we e-mailed to the address was used or a
  provider vouched for it. Only a confirmed address links a first SSO sign-in to an
  existing account (`services.sso_accounts`): anyone can type any address at sign-up.

PostgreSQL grants (0010_service_roles): `courtside_web` and `courtside_app` get the new
table through their default privileges; no other role reads it.

Revision ID: 0015_sso_sign_in
Revises: 0014_account_self_service
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_sso_sign_in"
down_revision: str | None = "0014_account_self_service"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rest_api_users",
        sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sso_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_sso_links_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_links")),
        sa.UniqueConstraint("issuer", "subject", name="uq_sso_links_issuer_subject"),
        sa.UniqueConstraint("issuer", "user_id", name="uq_sso_links_issuer_user_id"),
    )
    op.create_index("ix_sso_links_user_id", "sso_links", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sso_links_user_id", table_name="sso_links")
    op.drop_table("sso_links")
    with op.batch_alter_table("rest_api_users") as batch_op:
        batch_op.drop_column("email_confirmed_at")
