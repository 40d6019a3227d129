"""betting: a wallet per user (bankroll in cents) and the bets placed from it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:22.888194
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("starting_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_cents >= 0", name=op.f("ck_wallets_balance_non_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_wallets_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_wallets")),
    )
    op.create_table(
        "bets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("stake_cents", sa.BigInteger(), nullable=False),
        sa.Column("odds", sa.Integer(), nullable=False),
        sa.Column("bookmaker", sa.String(length=64), nullable=False),
        sa.Column("odds_recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("profit_cents", sa.BigInteger(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'open' AND profit_cents IS NULL AND settled_at IS NULL) OR (status = 'won' AND profit_cents >= 0 AND settled_at IS NOT NULL) OR (status = 'lost' AND profit_cents = -stake_cents AND settled_at IS NOT NULL) OR (status = 'refunded' AND profit_cents = 0 AND settled_at IS NOT NULL)",
            name=op.f("ck_bets_status_profit"),
        ),
        sa.CheckConstraint("side IN ('home', 'away')", name=op.f("ck_bets_side")),
        sa.CheckConstraint(
            "status IN ('open', 'won', 'lost', 'refunded')", name=op.f("ck_bets_status")
        ),
        sa.CheckConstraint(
            "(odds <= -100 AND odds >= -100000) OR (odds >= 100 AND odds <= 100000)",
            name=op.f("ck_bets_odds_american"),
        ),
        sa.CheckConstraint("stake_cents > 0", name=op.f("ck_bets_stake_positive")),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name=op.f("fk_bets_game_id_games"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rest_api_users.id"],
            name=op.f("fk_bets_user_id_rest_api_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bets")),
        sa.UniqueConstraint("user_id", "game_id", name=op.f("uq_bets_user_id_game_id")),
    )
    op.create_index("ix_bets_game_id_status", "bets", ["game_id", "status"])
    op.create_index("ix_bets_user_id_placed_at", "bets", ["user_id", "placed_at"])


def downgrade() -> None:
    op.drop_index("ix_bets_user_id_placed_at", table_name="bets")
    op.drop_index("ix_bets_game_id_status", table_name="bets")
    op.drop_table("bets")
    op.drop_table("wallets")
