"""indexes that keep the public read API flat as data grows

- games `(season, status, start_time, id)`: standings read one season's final games in
  tip-off order straight from the index (a sequential scan of every season before);
- players `(last_name, first_name, id)`: the player list's order, so a page is read from the
  index instead of sorting every player (replaces `(last_name, first_name)`);
- PostgreSQL only: `pg_trgm` and a trigram GIN index on the searched name,
  `lower(first_name || ' ' || last_name)`, so `?q=` finds names without a sequential scan
  (SQLite keeps its scan: the embedded database holds one demo season).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEX = "ix_players_name_trgm"


def upgrade() -> None:
    op.create_index(
        "ix_games_season_status_start_time", "games", ["season", "status", "start_time", "id"]
    )
    op.create_index("ix_players_last_first_id", "players", ["last_name", "first_name", "id"])
    op.drop_index("ix_players_last_first", table_name="players")
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON players "
            "USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.create_index("ix_players_last_first", "players", ["last_name", "first_name"])
    op.drop_index("ix_players_last_first_id", table_name="players")
    op.drop_index("ix_games_season_status_start_time", table_name="games")
