"""web round 2: user preferences, bet cancellation, notifications

- users: the time zone they read times in, a public display name (unique) and whether they
  appear on the leaderboard, and whether settled bets are e-mailed to them (both off);
- bets: `cancelled_at`, set when the user cancels before tip-off (the bet is refunded);
- notifications: one per settled bet, created in the settling transaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rest_api_users", sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.add_column("rest_api_users", sa.Column("display_name", sa.String(length=32), nullable=True))
    op.add_column(
        "rest_api_users",
        sa.Column("leaderboard_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "rest_api_users",
        sa.Column("email_notifications", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "uq_rest_api_users_display_name", "rest_api_users", ["display_name"], unique=True
    )
    op.add_column("bets", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bet_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('bet_settled')", name=op.f("ck_notifications_kind")),
        sa.ForeignKeyConstraint(
            ["bet_id"], ["bets.id"], name=op.f("fk_notifications_bet_id_bets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_notifications_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "uq_notifications_bet_id_kind", "notifications", ["bet_id", "kind"], unique=True
    )
    op.create_index(
        "ix_notifications_user_id_created_at", "notifications", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_user_id_created_at", table_name="notifications")
    op.drop_index("uq_notifications_bet_id_kind", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("bets") as batch_op:
        batch_op.drop_column("cancelled_at")
    op.drop_index("uq_rest_api_users_display_name", table_name="rest_api_users")
    with op.batch_alter_table("rest_api_users") as batch_op:
        batch_op.drop_column("email_notifications")
        batch_op.drop_column("leaderboard_opt_in")
        batch_op.drop_column("display_name")
        batch_op.drop_column("time_zone")
