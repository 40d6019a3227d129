"""A game in progress through ingestion: its score, period and clock are stored, served by
the API, updated as the game goes on and cleared when it ends (migration 0011)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.ingest import records as r
from tests.helpers import both_dialects


async def _ingest(
    client: httpx.AsyncClient, key: dict[str, str], dataset: str, rows: list[dict[str, object]]
) -> None:
    response = await client.post(f"/v1/ingest/{dataset}", json={"records": rows}, headers=key)
    assert response.status_code == 200, response.text


@both_dialects
async def test_a_live_game_keeps_its_state_until_it_ends(
    client: httpx.AsyncClient, write_key: dict[str, str]
) -> None:
    await _ingest(client, write_key, "teams", r.teams())
    await _ingest(client, write_key, "games", [r.game()])
    live = r.game(status="live", home_score=60, away_score=55, period=3, clock_seconds=312)
    await _ingest(client, write_key, "games", [live])
    (game,) = (await client.get("/v1/games", params={"date": "2026-11-19"})).json()["items"]
    assert (game["status"], game["home_score"], game["away_score"]) == ("live", 60, 55)
    assert (game["period"], game["clock_seconds"]) == (3, 312)
    detail = (await client.get(f"/v1/games/{game['id']}")).json()
    assert (detail["period"], detail["clock_seconds"]) == (3, 312)

    later = {**live, "home_score": 88, "away_score": 90, "period": 5, "clock_seconds": 45}
    await _ingest(client, write_key, "games", [later])
    final = {**later, "status": "final", "home_score": 99, "away_score": 97}
    del final["period"], final["clock_seconds"]
    await _ingest(client, write_key, "games", [final])
    game = (await client.get(f"/v1/games/{game['id']}")).json()
    assert (game["status"], game["period"], game["clock_seconds"]) == ("final", None, None)


@both_dialects
async def test_the_database_refuses_an_impossible_period_or_clock(session: AsyncSession) -> None:
    from tests.helpers import make_game, make_teams

    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], datetime(2026, 11, 20, tzinfo=UTC))
    for column, value in (("period", 0), ("period", 11), ("clock_seconds", 721)):
        savepoint = await session.begin_nested()
        try:
            await session.execute(
                text(f"UPDATE games SET {column} = :value WHERE id = :id"),
                {"value": value, "id": game.id},
            )
        except IntegrityError:
            await savepoint.rollback()
        else:
            raise AssertionError(f"{column} = {value} was stored")
