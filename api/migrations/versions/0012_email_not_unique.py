"""e-mail addresses are contact details, not identities: no longer unique

Sign-up must not tell who is registered. With a unique address, a sign-up with a taken one
has to fail (or fail later, at sign-in), so it always told. Usernames stay unique (they are
public on the leaderboard); a plain index keeps the Admin's duplicate check cheap.

On SQLite the users table is recreated (batch mode); env.py turns foreign keys off for it,
so the drop does not cascade into wallets and bets, and checks them before the commit. The
downgrade fails if two accounts share an address by then.

Revision ID: 0012_email_not_unique
Revises: 0011_live_game_state
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_email_not_unique"
down_revision: str | None = "0011_live_game_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rest_api_users") as batch_op:
        batch_op.drop_constraint("uq_rest_api_users_email", type_="unique")
        batch_op.create_index("ix_rest_api_users_email", ["email"])


def downgrade() -> None:
    with op.batch_alter_table("rest_api_users") as batch_op:
        batch_op.drop_index("ix_rest_api_users_email")
        batch_op.create_unique_constraint("uq_rest_api_users_email", ["email"])
