"""a final result cannot change: a trigger refuses any update of a final game's result

Bets are settled against the score of a final game, so that score (and the status) must
never change afterwards. Ingestion refuses such a change with a clear 422 and locks the
rows it decides on; this trigger is the database's own guarantee, whatever the code path.
It raises `check_violation` on PostgreSQL and a constraint error on SQLite, so a bypass
surfaces as a conflict, never as a silently rewritten result.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 01:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_FUNCTION = """
CREATE FUNCTION games_final_result_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'final' AND (NEW.status, NEW.home_score, NEW.away_score)
        IS DISTINCT FROM (OLD.status, OLD.home_score, OLD.away_score) THEN
        RAISE EXCEPTION 'the final result of game % cannot be changed', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER games_final_result_locked BEFORE UPDATE ON games
FOR EACH ROW EXECUTE FUNCTION games_final_result_locked()
"""
SQLITE_TRIGGER = """
CREATE TRIGGER games_final_result_locked BEFORE UPDATE OF status, home_score, away_score
ON games
WHEN OLD.status = 'final' AND (NEW.status IS NOT OLD.status
    OR NEW.home_score IS NOT OLD.home_score OR NEW.away_score IS NOT OLD.away_score)
BEGIN
    SELECT RAISE(ABORT, 'the final result of a game cannot be changed');
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS games_final_result_locked" + _on_games())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS games_final_result_locked()")


def _on_games() -> str:
    return " ON games" if op.get_bind().dialect.name == "postgresql" else ""
