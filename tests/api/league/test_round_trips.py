"""What a request costs the database and the cache: counted, not timed.

- Statements per endpoint on a cache miss (SQLAlchemy's `before_cursor_execute`), on both
  dialects: a regression in round trips (a follow-up look-up, a separate count, a ping)
  fails here.
- A hit costs no statement and one cache read.
- Query parameters a route does not read are ignored by the cache: they neither miss it nor
  store anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from courtside import cache as cache_module
from tests.helpers import both_dialects

STATEMENTS_ON_A_MISS = {
    "/v1/teams": 1,
    "/v1/teams/BOS": 1,
    "/v1/teams/BOS/players": 1,
    "/v1/players?q=ja": 1,
    "/v1/players?team=BOS&position=F": 1,
    "/v1/players?position=F": 2,  # a position alone: the page, then an index-only count
    "/v1/players": 1,  # the total from the row count the database keeps
    "/v1/players/{tatum}": 2,  # the player with each season's stats, then the injuries
    "/v1/games?date=2026-11-23": 1,
    "/v1/games?date=2026-11-23&team=BOS": 1,
    "/v1/games/{g1}": 1,
    "/v1/odds?date=2026-11-23": 1,
    "/v1/predictions?date=2026-11-23": 1,
    "/v1/standings": 2,  # the teams with the resolved season, then its final games
    "/v1/standings?season=2026": 2,
    "/v1/games/{g1}/odds": 1,
    "/v1/games/{g1}/odds?type=24h_average": 1,
    "/v1/games/{g1}/odds?type=7d_deviation": 1,
    "/health/ready": 1,
}
"""The common path of each endpoint. A page past the end (its total) or an unknown team (the
404) costs one more statement, off the common path."""

EMPTY_PAGES = {
    # A day without games (every off-day): its first page is its whole answer, no count.
    "/v1/games?date=2026-07-01": (1, 0),
    "/v1/odds?date=2026-07-01": (1, 0),
    "/v1/predictions?date=2026-07-01": (1, 0),
    "/v1/players?q=zzzz": (1, 0),
    # A known team's empty day: the team is looked up (an unknown one is a 404), not counted.
    "/v1/games?date=2026-07-01&team=BOS": (2, 0),
    "/v1/players?team=BOS&q=zzzz": (2, 0),
    # Past the end of a result that is not empty: the true total takes a count.
    "/v1/teams?offset=200": (2, "teams"),
    "/v1/games?date=2026-11-23&offset=200": (2, "today_games"),
}
"""Statements and the total of an empty page: a number, or the size of that part of `world`."""


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _url(template: str, world) -> str:
    tatum = next(p for p in world.players if p.last_name == "Tatum")
    return template.format(g1=world.today_games[0].id, tatum=tatum.id)


@both_dialects
@pytest.mark.parametrize("template", sorted(STATEMENTS_ON_A_MISS))
async def test_statements_per_endpoint_on_a_miss(client, world, engine, template):
    url = _url(template, world)
    with counting(engine) as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers.get("x-cache") in (None, "miss")
    assert len(statements) == STATEMENTS_ON_A_MISS[template], statements


@both_dialects
@pytest.mark.parametrize("url", sorted(EMPTY_PAGES))
async def test_an_empty_page_counts_only_past_the_end(client, world, engine, url):
    statements_expected, total = EMPTY_PAGES[url]
    if isinstance(total, str):
        total = len(getattr(world, total))
    with counting(engine) as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    assert (response.json()["items"], response.json()["total"]) == ([], total)
    assert len(statements) == statements_expected, statements


@both_dialects
@pytest.mark.parametrize("url", ["/v1/games?date=2026-07-01&team=XYZ", "/v1/players?team=XYZ"])
async def test_an_unknown_team_is_a_404_on_an_empty_first_page(client, world, url):
    response = await client.get(url)
    assert response.status_code == 404, response.text


@both_dialects
async def test_a_hit_costs_no_statement_and_one_cache_read(client, world, engine, cache):
    reads = 0
    original = cache.backend.get_many

    async def counted(keys):
        nonlocal reads
        reads += 1
        return await original(keys)

    assert (await client.get("/v1/games?date=2026-11-23")).headers["x-cache"] == "miss"
    cache.backend.get_many = counted
    with counting(engine) as statements:
        response = await client.get("/v1/games?date=2026-11-23")
    assert response.headers["x-cache"] == "hit"
    assert statements == []
    assert reads == 1


async def test_parameters_a_route_does_not_read_are_ignored_by_the_cache(
    client, world, cache, redis_client
):
    """`?junk=<30 KB>` is the same request as without it: a hit, and nothing new stored."""
    first = await client.get("/v1/teams")
    assert first.headers["x-cache"] == "miss"
    keys_before = {key async for key in redis_client.scan_iter(match=f"{cache.prefix}*")}
    for n in range(5):
        junk = await client.get("/v1/teams", params={"junk": f"{n}" + "x" * 30_000})
        assert junk.status_code == 200
        assert junk.headers["x-cache"] == "hit"
        assert junk.content == first.content
    keys_after = {key async for key in redis_client.scan_iter(match=f"{cache.prefix}*")}
    assert keys_after == keys_before


async def test_equivalent_spellings_share_one_entry(client, world):
    assert (await client.get("/v1/teams/bos")).headers["x-cache"] == "miss"
    assert (await client.get("/v1/teams/BOS")).headers["x-cache"] == "hit"
    assert (await client.get("/v1/players?team=bos&q=JA")).headers["x-cache"] == "miss"
    assert (await client.get("/v1/players?q=ja&team=BOS")).headers["x-cache"] == "hit"
    assert (await client.get("/v1/games?date=2026-11-23&limit=50")).headers["x-cache"] == "miss"
    assert (await client.get("/v1/games?limit=50&date=2026-11-23")).headers["x-cache"] == "hit"


async def test_entry_keys_are_bounded(cache):
    long_key = "players|q=" + "x" * 10_000
    value, hit = await cache.get_or_build("reference", long_key, 60, _returning(b"v"))
    assert (value, hit) == (b"v", False)
    assert await cache.get_or_build("reference", long_key, 60, _returning(b"w")) == (b"v", True)
    entry_key = cache._entry_key("reference", long_key)
    assert len(entry_key) < cache_module.MAX_KEY_LENGTH + 100


def _returning(value: bytes):
    async def build() -> bytes:
        return value

    return build


@pytest.mark.postgres_only
async def test_a_read_sends_no_begin_or_rollback(postgres_url, monkeypatch):
    """On PostgreSQL a read runs in autocommit: the driver sees the SELECT only, no BEGIN
    and ROLLBACK around it (each a round trip)."""
    import asyncpg
    from sqlalchemy import text

    from courtside import db
    from courtside.settings import get_database_settings

    previous = db._engine
    engine = db.build_engine(get_database_settings(), url=postgres_url)
    db.use_engine(engine)
    sent: list[str] = []
    original = asyncpg.connection.Connection.execute

    async def execute(self, query, *args, **kwargs):
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    async def select_one(connection):
        return await connection.scalar(text("SELECT 1"))

    try:
        assert await db.read(select_one) == 1  # the first connection's set-up may talk
        monkeypatch.setattr(asyncpg.connection.Connection, "execute", execute)
        for _ in range(3):
            assert await db.read(select_one) == 1
        assert sent == []
        async with db.get_sessionmaker()() as session:  # a session does begin: the control
            await session.execute(text("SELECT 1"))
        assert any(query.startswith("BEGIN") for query in sent)
    finally:
        await engine.dispose()
        if previous is not None:
            db.use_engine(previous)
