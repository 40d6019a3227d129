"""one live bet per user and game: a refunded bet no longer blocks a new one

Expand/contract: the new partial unique index is created before the old constraint is
dropped, so at no point may a user hold two live bets on a game.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status <> 'refunded'")


def upgrade() -> None:
    op.create_index(
        "uq_bets_user_id_game_id_live",
        "bets",
        ["user_id", "game_id"],
        unique=True,
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    with op.batch_alter_table("bets") as batch_op:
        batch_op.drop_constraint("uq_bets_user_id_game_id", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("bets") as batch_op:
        batch_op.create_unique_constraint("uq_bets_user_id_game_id", ["user_id", "game_id"])
    op.drop_index("uq_bets_user_id_game_id_live", table_name="bets")
