"""The players' row count kept by migration 0008's triggers agrees with the table, whatever
writes it: upserts that insert or only update, deletes, truncation (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text

from courtside.models import Player, RowCount
from courtside.schemas.ingest import Dataset
from courtside.services import audit
from courtside.services.ingest import ingest
from tests.api.ingest import records as r
from tests.helpers import both_dialects

ACTOR = audit.Actor("api_key", "1", "pipeline")


async def _kept_and_real(session) -> tuple[int, int]:
    kept = await session.scalar(select(RowCount.row_count).where(RowCount.table_name == "players"))
    real = await session.scalar(select(func.count()).select_from(Player))
    return int(kept or 0), int(real or 0)


@both_dialects
async def test_the_count_follows_inserts_upserts_and_deletes(session, cache):
    await ingest(session, Dataset.TEAMS, r.teams(), actor=ACTOR)
    before, _ = await _kept_and_real(session)
    players = [r.player(f"p-{n}") for n in range(7)]
    await ingest(session, Dataset.PLAYERS, players, actor=ACTOR)
    assert await _kept_and_real(session) == (before + 7, before + 7)
    changed = [r.player(f"p-{n}", first_name="Renamed") for n in range(7)]
    await ingest(session, Dataset.PLAYERS, [*changed, r.player("p-new")], actor=ACTOR)
    assert await _kept_and_real(session) == (before + 8, before + 8)
    await session.execute(delete(Player).where(Player.external_id.in_(["p-1", "p-2"])))
    assert await _kept_and_real(session) == (before + 6, before + 6)


@pytest.mark.postgres_only
async def test_truncation_resets_the_count(session):
    session.add(Player(external_id="p-t", first_name="T", last_name="T", position="G"))
    await session.flush()
    await session.execute(text("TRUNCATE players CASCADE"))
    assert await _kept_and_real(session) == (0, 0)
