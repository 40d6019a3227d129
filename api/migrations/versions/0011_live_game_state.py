"""a live game's state: the period and the time left in it

- games.period: 1-4 are the quarters, 5 and up the overtimes (at most 10); NULL unless the
  game is live;
- games.clock_seconds: the seconds left in that period (0-720); NULL unless live.

The ingestion API accepts both for `live` games only (docs/ingestion.md), the pages show
`Q3 5:12`. Each column carries its own CHECK, written inline so that SQLite adds it without
rebuilding `games` (a rebuild would drop the table's triggers, see 0005).

Revision ID: 0011_live_game_state
Revises: 0010_service_roles
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_live_game_state"
down_revision: str | None = "0010_service_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "period": "ck_games_period CHECK (period IS NULL OR period BETWEEN 1 AND 10)",
    "clock_seconds": (
        "ck_games_clock_seconds CHECK (clock_seconds IS NULL OR clock_seconds BETWEEN 0 AND 720)"
    ),
}


def upgrade() -> None:
    for column, check in COLUMNS.items():
        op.execute(f"ALTER TABLE games ADD COLUMN {column} SMALLINT CONSTRAINT {check}")


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE games DROP COLUMN {column}")
