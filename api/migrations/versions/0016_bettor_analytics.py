"""a bettor's unit size: `wallets.unit_cents`

The stake a user counts their results in ("units won"). NULL means the default, 1 % of the
wallet's starting bankroll; a set value is a positive number of cents (check constraint).
No new table, so no grants (0010_service_roles' default privileges cover the column).

Revision ID: 0016_bettor_analytics
Revises: 0015_sso_sign_in
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_bettor_analytics"
down_revision: str | None = "0015_sso_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wallets") as batch_op:
        batch_op.add_column(sa.Column("unit_cents", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_wallets_unit_positive"), "unit_cents IS NULL OR unit_cents > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("wallets") as batch_op:
        batch_op.drop_constraint(op.f("ck_wallets_unit_positive"), type_="check")
        batch_op.drop_column("unit_cents")
