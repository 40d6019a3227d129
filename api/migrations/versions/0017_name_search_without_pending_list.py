"""the name search's trigram index takes each insert at once (`fastupdate = off`)

A GIN index buffers new entries in a pending list by default, merged only by VACUUM or
autoanalyze (or when the list passes `gin_pending_list_limit`). After a roster load, until
autovacuum came by, the planner priced `ix_players_name_trgm` with its pending list (201
pages after the 10x demo load) and chose a sequential scan: `/v1/players?q=` read every
player (2.1 ms against 0.06 ms at 4,500 players, `EXPLAIN ANALYZE`; `make bench`'s 10x
row 3.75x). With `fastupdate = off` an insert or upsert writes its trigrams into the index
itself, ~25-70 us more per new or changed player (a 450-player roster ~10 ms more, a
batch of the ingest maximum, 5,000 new players, ~0.3 s more; unchanged rows, which the
upsert skips, nothing), and the search's plan no longer depends on when autovacuum last
ran. The pending list already there is merged now. Both statements take the index's
exclusive lock until the migration commits (a moment: the list is bounded), so reads of
`players` wait that long; they need the index's owner, the role that runs migrations.
PostgreSQL only (SQLite has no such index).

Revision ID: 0017_name_search_index
Revises: 0016_bettor_analytics
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_name_search_index"
down_revision: str | None = "0016_bettor_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEX = "ix_players_name_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {TRIGRAM_INDEX} SET (fastupdate = off)")
    op.execute(f"SELECT gin_clean_pending_list('{TRIGRAM_INDEX}'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {TRIGRAM_INDEX} RESET (fastupdate)")
