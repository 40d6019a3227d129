"""At 100 times the demo data, no list endpoint's query reads a large table sequentially.

A database of its own is filled in SQL (`generate_series`, a few seconds) with the shape of
100 seasons: 123,000 games, 480,000 odds snapshots, 45,000 players with stats, then
analysed. Each list endpoint is requested through the app; every statement it sends is
captured with its parameters and `EXPLAIN`ed: a sequential scan of a large table fails.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from courtside import cache as cache_module
from courtside import db
from courtside.settings import get_database_settings, reset_settings
from tests.conftest import SERVER_URL, _migrate, admin_sql

pytestmark = pytest.mark.postgres_only

SEASONS = 100
LARGE_TABLES = frozenset(
    {"games", "odds_snapshots", "players", "player_season_stats", "predictions", "injuries"}
)
FILL = f"""
INSERT INTO teams (abbreviation, city, name, conference, division, updated_at)
SELECT 'T' || chr(65 + n / 26) || chr(65 + n % 26), 'City ' || n, 'Team ' || n,
       CASE WHEN n < 15 THEN 'East' ELSE 'West' END,
       (ARRAY['Atlantic','Central','Southeast','Northwest','Pacific','Southwest'])[1 + n / 5],
       now()
FROM generate_series(0, 29) AS n;

INSERT INTO games (external_id, season, start_time, home_team_id, away_team_id, status,
                   home_score, away_score, updated_at)
SELECT 'g-' || n, 2026 - n / 1230,
       timestamptz '2026-10-20 23:00+00' - (n / 1230) * interval '365 days'
           + (n % 1230) * interval '2 hours 50 minutes',
       1 + n % 30, 1 + (n + 1 + (n / 30) % 29) % 30,
       CASE WHEN n / 1230 > 0 OR n % 1230 < 300 THEN 'final' ELSE 'scheduled' END,
       CASE WHEN n / 1230 > 0 OR n % 1230 < 300 THEN 100 + n % 20 END,
       CASE WHEN n / 1230 > 0 OR n % 1230 < 300 THEN 99 - n % 17 END,
       now()
FROM generate_series(0, {SEASONS} * 1230 - 1) AS n;

INSERT INTO odds_snapshots (game_id, bookmaker, home_odds, away_odds, recorded_at)
SELECT g.id, b.name, -150 + (g.id + s) % 40, 130 + (g.id + s) % 30,
       g.start_time - s * interval '12 hours'
FROM games g
CROSS JOIN (VALUES ('fanduel'), ('draftkings'), ('betmgm')) AS b(name)
CROSS JOIN generate_series(1, 15) AS s
WHERE g.id % 1230 BETWEEN 300 AND 406;

INSERT INTO predictions (game_id, model_version, home_win_probability, created_at)
SELECT id, 'elo-1', 0.4 + (id % 20) / 100.0, now()
FROM games WHERE id % 1230 BETWEEN 300 AND 406;

INSERT INTO players (external_id, first_name, last_name, team_id, position, jersey, active,
                     updated_at)
SELECT 'p-' || n, 'First' || (n % 97), 'Last' || (n % 389), 1 + n % 30,
       (ARRAY['G','F','C','G-F','F-C'])[1 + n % 5], (n % 100)::text, true, now()
FROM generate_series(0, {SEASONS} * 450 - 1) AS n;

INSERT INTO player_season_stats (player_id, season, team_id, games_played, minutes, points,
    rebounds, assists, steals, blocks, field_goal_pct, three_point_pct, free_throw_pct)
SELECT id, 2026, team_id, 20, 30, 20, 5, 5, 1, 1, 0.5, 0.35, 0.8 FROM players;

INSERT INTO injuries (player_id, reported_on, status, description)
SELECT id, date '2026-11-01' + (id % 20), 'out', 'Ankle' FROM players WHERE id % 19 = 0;
"""

LIST_ENDPOINTS = (
    "/v1/teams",
    "/v1/teams/TAA/players",
    "/v1/players",
    "/v1/players?q=last12",
    "/v1/players?position=C",
    "/v1/players?team=TAB&q=first3",
    "/v1/games?date=2026-11-23",
    "/v1/games?date=2026-11-23&team=TAC",
    "/v1/games?date=2025-02-01&status=final",
    "/v1/odds?date=2026-11-23",
    "/v1/predictions?date=2026-11-23",
    "/v1/standings",
    "/v1/standings?season=1990",
    "/v1/games/{game}/odds?type=7d_deviation",
    "/v1/games/{game}/odds?type=24h_average",
    "/v1/games/{game}/odds",
    "/v1/games/{game}",
    "/v1/players/{player}",
)


@pytest.fixture(scope="module")
def scale_url() -> Iterator[str]:
    name = f"courtside_scale_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        asyncio.run(_fill(url))
        yield url
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _fill(url: str) -> None:
    engine = db.build_engine(get_database_settings(), url=url, bounded=False)
    try:
        async with engine.begin() as connection:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    await connection.execute(text(statement))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def scale_engine(scale_url: str) -> AsyncIterator[AsyncEngine]:
    previous = db._engine
    engine = db.build_engine(get_database_settings(), url=scale_url)
    db.use_engine(engine)
    cache_module.use_cache(
        cache_module.Cache(cache_module.MemoryBackend(), prefix="plans", retry_after_seconds=1)
    )
    yield engine
    cache_module.use_cache(None)
    await engine.dispose()
    if previous is not None:
        db.use_engine(previous)


async def _sample_ids(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        game = await connection.scalar(
            text("SELECT game_id FROM odds_snapshots ORDER BY game_id DESC LIMIT 1")
        )
        player = await connection.scalar(text("SELECT player_id FROM injuries LIMIT 1"))
    return {"game": int(game), "player": int(player)}


def _sequential_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found.extend(_sequential_scans(child))
    return found


async def test_the_data_has_the_scale_of_100_seasons(scale_engine):
    async with scale_engine.connect() as connection:
        games = await connection.scalar(text("SELECT count(*) FROM games"))
        snapshots = await connection.scalar(text("SELECT count(*) FROM odds_snapshots"))
        players = await connection.scalar(text("SELECT count(*) FROM players"))
    assert games == SEASONS * 1230
    assert snapshots >= 450_000
    assert players == SEASONS * 450


@pytest.mark.parametrize("template", LIST_ENDPOINTS)
async def test_no_list_query_scans_a_large_table(scale_engine, template):
    reset_settings()
    from courtside.main import create_app

    url = template.format(**await _sample_ids(scale_engine))
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(scale_engine.sync_engine, "before_cursor_execute", record)
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(url)
    finally:
        event.remove(scale_engine.sync_engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    assert statements
    async with scale_engine.connect() as connection:
        for statement, parameters in statements:
            explained = await connection.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement, parameters
            )
            plan = explained.scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            assert _sequential_scans(plan[0]["Plan"]) == [], (url, statement, plan)
