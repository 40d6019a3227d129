"""indexes that keep the public read API flat as data grows

- games `(season, status, start_time, id)`: standings read one season's final games in
  tip-off order straight from the index (a sequential scan of every season before);
- players `(last_name, first_name, id)`: the player list's order, so a page is read from the
  index instead of sorting every player (replaces `(last_name, first_name)`);
- players `(position, last_name, first_name, id)`: a position's page and count from the index;
- PostgreSQL only: `pg_trgm` and a trigram GIN index on the searched name,
  `lower(first_name || ' ' || last_name)`, so `?q=` finds names without a sequential scan
  (SQLite keeps its scan: the embedded database holds one demo season);
- `row_counts`: how many players there are, kept by triggers on `players` (both dialects),
  so the total of the unfiltered player list is one row, not a count of every player.
  The triggers create their row when it is missing (a truncated `row_counts`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEX = "ix_players_name_trgm"
POSTGRES_COUNT_FUNCTION = """
CREATE FUNCTION players_row_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM row_counts WHERE table_name = TG_TABLE_NAME;
        INSERT INTO row_counts (table_name, row_count) VALUES (TG_TABLE_NAME, 0);
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO delta FROM changed_rows;
    ELSE
        SELECT -count(*) INTO delta FROM changed_rows;
    END IF;
    INSERT INTO row_counts (table_name, row_count) VALUES (TG_TABLE_NAME, 0)
    ON CONFLICT (table_name) DO NOTHING;
    UPDATE row_counts SET row_count = row_count + delta WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END
$$
"""
POSTGRES_COUNT_TRIGGERS = [
    "CREATE TRIGGER players_row_count_insert AFTER INSERT ON players "
    "REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION players_row_count()",
    "CREATE TRIGGER players_row_count_delete AFTER DELETE ON players "
    "REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION players_row_count()",
    "CREATE TRIGGER players_row_count_truncate AFTER TRUNCATE ON players "
    "FOR EACH STATEMENT EXECUTE FUNCTION players_row_count()",
]
SQLITE_COUNT_TRIGGERS = [
    """CREATE TRIGGER players_row_count_insert AFTER INSERT ON players BEGIN
    INSERT INTO row_counts (table_name, row_count) VALUES ('players', 0)
    ON CONFLICT (table_name) DO NOTHING;
    UPDATE row_counts SET row_count = row_count + 1 WHERE table_name = 'players';
END""",
    """CREATE TRIGGER players_row_count_delete AFTER DELETE ON players BEGIN
    INSERT INTO row_counts (table_name, row_count) VALUES ('players', 0)
    ON CONFLICT (table_name) DO NOTHING;
    UPDATE row_counts SET row_count = row_count - 1 WHERE table_name = 'players';
END""",
]


def upgrade() -> None:
    op.create_index(
        "ix_games_season_status_start_time", "games", ["season", "status", "start_time", "id"]
    )
    op.create_index("ix_players_last_first_id", "players", ["last_name", "first_name", "id"])
    op.create_index(
        "ix_players_position_last_first_id",
        "players",
        ["position", "last_name", "first_name", "id"],
    )
    op.drop_index("ix_players_last_first", table_name="players")
    op.create_table(
        "row_counts",
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("row_count >= 0", name="non_negative"),
    )
    op.execute(
        "INSERT INTO row_counts (table_name, row_count) SELECT 'players', count(*) FROM players"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for statement in [POSTGRES_COUNT_FUNCTION, *POSTGRES_COUNT_TRIGGERS]:
            op.execute(statement)
    else:
        for statement in SQLITE_COUNT_TRIGGERS:
            op.execute(statement)
    if postgres:
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX {TRIGRAM_INDEX} ON players "
            "USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops)"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    on = " ON players" if postgres else ""
    for name in ("insert", "delete", "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS players_row_count_{name}{on}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS players_row_count()")
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.drop_table("row_counts")
    op.drop_index("ix_players_position_last_first_id", table_name="players")
    op.create_index("ix_players_last_first", "players", ["last_name", "first_name"])
    op.drop_index("ix_players_last_first_id", table_name="players")
    op.drop_index("ix_games_season_status_start_time", table_name="games")
