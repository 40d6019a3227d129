"""The name search reads the trigram index right after a roster load, before any VACUUM
(migration 0017: the index takes its entries at once, no pending list). With the pending
list PostgreSQL's default keeps, the planner priced the index with it and read every player
instead, until autovacuum came by."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside import db
from courtside.services import league
from courtside.settings import get_database_settings

pytestmark = pytest.mark.postgres_only

PLAYERS = 4_500
"""Ten times a season's roster (`make bench`'s 10x data)."""


@pytest.fixture
async def loaded(postgres_url: str) -> AsyncIterator[AsyncConnection]:
    """A transaction (rolled back) in which a roster of `PLAYERS` was just inserted and the
    table analyzed, as a load leaves it (no VACUUM can run inside a transaction, nor did
    one run after a load). ANALYZE's statistics outlive the rollback: the table is vacuumed
    and analyzed afterwards, for the tests that share this database."""
    engine = db.build_engine(get_database_settings(), url=postgres_url, bounded=False)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(
                text(
                    "INSERT INTO players"
                    " (external_id, first_name, last_name, position, active, updated_at)"
                    " SELECT 'plan-' || n, 'First' || n, 'Last' || (n % 997), 'G', true, now()"
                    " FROM generate_series(1, :players) AS n"
                ),
                {"players": PLAYERS},
            )
            await connection.execute(text("ANALYZE players"))
            try:
                yield connection
            finally:
                await transaction.rollback()
        async with engine.connect() as connection:  # the statistics ANALYZE kept, and the
            await connection.execution_options(isolation_level="AUTOCOMMIT")  # dead rows
            await connection.execute(text("VACUUM ANALYZE players"))
    finally:
        await engine.dispose()


def _indexes(plan: dict[str, Any]) -> set[str]:
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _indexes(child)
    return found


async def test_a_name_search_after_a_roster_load_reads_the_trigram_index(loaded):
    condition = league.PLAYER_NAME.like(league.name_pattern("first4321 last"), escape="\\")
    statement = league._players().where(condition)
    compiled = statement.compile(dialect=loaded.dialect, compile_kwargs={"literal_binds": True})
    explained = await loaded.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}")
    plan = explained.scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert "ix_players_name_trgm" in _indexes(plan[0]["Plan"]), plan
