"""A cold public process's first misses, read on a plain asyncpg connection (`driver_reads`).

On the real PostgreSQL: the teams page read there is byte for byte the engine's, nothing of
SQLAlchemy is imported for it in a cold process, the engine's arrival closes the connection,
and every failure goes to the engine, which answers as it always did.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, bindparam, cast, event, exc, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from courtside import db, driver_reads, prepared, tracing
from courtside.compiled_statements import POSTGRESQL
from courtside.domain_errors import NotFound
from courtside.driver_reads import NOT_READ, DriverConnection, plain_url_arguments
from courtside.models import tables
from courtside.replica_settings import get_replica_settings
from courtside.schemas.common import PageParams
from courtside.services import games_page, teams_page
from courtside.settings import reset_settings
from scripts.compile_statements import named_statements
from tests.api.core.cold import child_env, cold_public
from tests.conftest import REDIS_PREFIX, REDIS_URL

pytestmark = pytest.mark.postgres_only

TEAMS = [
    {"abbreviation": abbr, "city": city, "name": name, "conference": conf, "division": div}
    for abbr, city, name, conf, div in (
        ("BOS", "Boston", "Celtics", "East", "Atlantic"),
        ("LAL", "Los Angeles", "Lakers", "West", "Pacific"),
        ("NYK", "New York", "Knicks", "East", "Atlantic"),
    )
]


def test_the_compiled_statements_are_what_sqlalchemy_compiles_now() -> None:
    """`courtside.compiled_statements` is written by a script; a statement or table changed
    without running it again fails here (not on a cold Lambda)."""
    assert named_statements() == POSTGRESQL
    assert {"teams.page", "teams.count", "teams.exists", "games.page.team.status"} <= set(
        POSTGRESQL
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2026, 12, 8, 3, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 22, 0, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 12, 8, 3, 0),  # naive: refused either way
    ],
)
def test_the_utc_conversion_is_the_columns_own(value: datetime | None) -> None:
    """What a statement compiled ahead does to a `UTCDateTime` parameter is what the dialect
    does through the column's type on PostgreSQL."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

    from courtside.models.base import UTCDateTime

    convert = prepared.DRIVER_CONVERSIONS[UTCDateTime.driver_conversion]
    engine_side = UTCDateTime().bind_processor(asyncpg_dialect())
    assert engine_side is not None
    if value is not None and value.tzinfo is None:
        for conversion in (convert, engine_side):
            with pytest.raises(ValueError, match="naive"):
                conversion(value)
        return
    converted = convert(value)
    assert converted == engine_side(value)
    assert converted is None or converted.tzinfo is UTC


@pytest.mark.parametrize(
    ("build", "refusal"),
    [
        (lambda: select(literal(date(2026, 12, 8))), "conversions"),  # a literal not plain
        (
            lambda: select(literal(1)).where(literal(1).in_(bindparam("ids", expanding=True))),
            "conversions",
        ),
        (lambda: select(cast(literal("{}"), JSON)), "JSON"),  # decoded by the engine's codecs
    ],
)
def test_what_only_the_dialect_handles_is_not_compiled_ahead(build: Any, refusal: str) -> None:
    name = f"test.refused.{uuid.uuid4().hex[:6]}"
    prepared.Prepared(build, name=name)
    try:
        with pytest.raises(ValueError, match=refusal):
            prepared.compiled_named()
    finally:
        del prepared.NAMED[name]


def test_two_statements_never_share_a_name() -> None:
    with pytest.raises(ValueError, match="two statements"):
        prepared.Prepared(lambda: text("SELECT 1"), name="teams.page")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+asyncpg://app:s%40cret@db.example:6543/courtside",
            {
                "host": "db.example",
                "port": 6543,
                "user": "app",
                "password": "s@cret",
                "database": "courtside",
            },
        ),
        (
            "postgresql+asyncpg://postgres@127.0.0.1/x",
            {"host": "127.0.0.1", "user": "postgres", "database": "x"},
        ),
        ("postgresql+asyncpg://u:@h:0/db", {"host": "h", "user": "u", "database": "db"}),
        ("postgresql+asyncpg://u@h/db?prepared_statement_cache_size=0", None),
        ("postgresql+asyncpg://u@h1,h2/db", None),
        ("postgresql+asyncpg://u@h:99999/db", None),
        ("sqlite+aiosqlite:///var/courtside.db", None),
    ],
)
def test_only_a_plain_url_is_read_without_the_dialect(
    url: str, expected: dict[str, Any] | None
) -> None:
    assert plain_url_arguments(url) == expected


@pytest.fixture
def driver_env(monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> Iterator[pytest.MonkeyPatch]:
    """The settings of a function the stacks turned `DB_DRIVER_READS` on for, on the test
    database; the path as a new process has it."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("DB_DRIVER_READS", "true")
    for name in ("DATABASE_READ_URL", "DATABASE_READ_HOST", "DB_ECHO", "DATABASE_USE_PROXY"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    driver_reads.reset()
    yield monkeypatch
    driver_reads.reset()
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
async def league(committed_engine: AsyncEngine, driver_env: pytest.MonkeyPatch) -> AsyncEngine:
    """Three teams, committed (the driver's connection is a connection of its own)."""
    async with committed_engine.begin() as connection:
        await connection.execute(insert(tables.teams), TEAMS)
        ids = dict((await connection.execute(select(tables.teams.c.abbreviation,
                                                         tables.teams.c.id))).all())  # fmt: skip
        await connection.execute(insert(tables.games), [
            {"external_id": f"g{n}", "season": 2026, "start_time": start, "status": status,
             "home_team_id": ids[home], "away_team_id": ids[away], "home_score": score,
             "away_score": None if score is None else score - 3}
            for n, (start, status, home, away, score) in enumerate(GAMES)
        ])  # fmt: skip
    driver_reads.reset()  # `committed_engine` built the engine: the path as a new process has it
    return committed_engine


DAY = date(2026, 12, 8)
ZONE = ZoneInfo("America/New_York")
GAMES = [  # three on DAY in New York (one after midnight UTC), one the day after
    (datetime(2026, 12, 8, 17, 0, tzinfo=UTC), "final", "BOS", "NYK", 110),
    (datetime(2026, 12, 9, 0, 30, tzinfo=UTC), "scheduled", "LAL", "BOS", None),
    (datetime(2026, 12, 9, 3, 0, tzinfo=UTC), "scheduled", "NYK", "LAL", None),
    (datetime(2026, 12, 9, 18, 0, tzinfo=UTC), "scheduled", "BOS", "LAL", None),
]


def _forget_settings() -> None:
    reset_settings()
    get_replica_settings.cache_clear()
    driver_reads.reset()


def _teams_json(page: PageParams) -> Any:
    async def build(connection: Any) -> bytes:
        return await teams_page.teams_page_json(connection, page)

    return build


async def _driver_pid() -> int:
    async def pid(connection: DriverConnection) -> int:
        return int(await connection.driver.fetchval("SELECT pg_backend_pid()"))

    # a named statement is what builds read; the test reads the backend's pid beside them
    return await driver_reads.read(pid)  # type: ignore[return-value]


@pytest.mark.parametrize(("limit", "offset"), [(50, 0), (2, 0), (2, 2), (2, 9), (1, 3)])
async def test_the_teams_page_read_on_the_driver_is_the_engines(
    league: AsyncEngine, limit: int, offset: int
) -> None:
    """The same bytes (and so the same ETag) either way, a page past the end included (its
    total from `teams.count`), and not one statement through the engine."""
    page = PageParams(limit, offset)
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(league.sync_engine, "before_cursor_execute", listener)
    try:
        on_driver = await driver_reads.read(_teams_json(page))
    finally:
        event.remove(league.sync_engine, "before_cursor_execute", listener)
    assert sent == []
    on_engine = await db.read(_teams_json(page))
    assert on_driver == on_engine
    assert isinstance(on_driver, bytes)
    assert json.loads(on_driver)["total"] == 3


def _games_json(page: PageParams, team: str | None, status: str | None) -> Any:
    async def build(connection: Any) -> bytes:
        return await games_page.games_page_json(
            connection, page, day=DAY, zone=ZONE, team=team, status=status
        )

    return build


@pytest.mark.parametrize(
    ("team", "status", "limit", "offset"),
    [
        (None, None, 50, 0),
        (None, None, 1, 1),
        (None, None, 2, 5),  # past the end: the total from `games.count`
        ("bos", None, 50, 0),
        ("LAL", "scheduled", 1, 0),
        ("NYK", "final", 5, 3),  # past the end of a team's and a status's page
        (None, "final", 50, 0),
        ("BOS", "live", 50, 0),  # nothing: 0, after the team's check
    ],
)
async def test_a_days_games_read_on_the_driver_are_the_engines(
    league: AsyncEngine, team: str | None, status: str | None, limit: int, offset: int
) -> None:
    build = _games_json(PageParams(limit, offset), team, status)
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(league.sync_engine, "before_cursor_execute", listener)
    try:
        on_driver = await driver_reads.read(build)
    finally:
        event.remove(league.sync_engine, "before_cursor_execute", listener)
    assert sent == []
    assert on_driver == await db.read(build)


async def test_an_unknown_team_is_the_same_404_on_the_driver(league: AsyncEngine) -> None:
    for offset in (0, 10):  # an empty first page, and one past the end
        build = _games_json(PageParams(50, offset), "XYZ", None)
        with pytest.raises(NotFound):
            await driver_reads.read(build)
        with pytest.raises(NotFound):
            await db.read(build)


async def test_a_build_that_asks_for_more_than_named_statements_is_the_engines(
    league: AsyncEngine,
) -> None:
    """Anything of SQLAlchemy's connection is the engine's to give: read there, not a 500."""

    async def build(connection: Any) -> object:
        return await connection.scalar(text("SELECT 1"))

    pid = await _driver_pid()
    assert await driver_reads.read(build) is NOT_READ
    assert await db.read(build) == 1
    assert not hasattr(DriverConnection(None), "__wrapped__")
    assert await _driver_pid() == pid


async def test_the_path_is_off_unless_every_condition_holds(
    league: AsyncEngine, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    build = _teams_json(PageParams(50, 0))
    assert await driver_reads.read(build) != NOT_READ  # on, to begin with

    settings_off: list[tuple[str, str]] = [
        ("DB_DRIVER_READS", "false"),
        ("DB_ECHO", "true"),
        ("DATABASE_USE_PROXY", "true"),
        ("DATABASE_READ_URL", postgres_url),  # a replica's reads are the engine's
        ("DATABASE_URL", postgres_url + "?prepared_statement_cache_size=0"),  # the dialect's
    ]
    for name, value in settings_off:
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            _forget_settings()
            assert await driver_reads.read(build) is NOT_READ, name
        _forget_settings()
    with monkeypatch.context() as patch:
        patch.setattr(tracing, "enabled", lambda: True)  # each statement's span is the engine's
        assert await driver_reads.read(build) is NOT_READ

    async def reentrant(connection: DriverConnection) -> object:  # one read at a time
        return await driver_reads.read(build)

    assert await driver_reads.read(reentrant) is NOT_READ
    assert await driver_reads.read(build) != NOT_READ


async def test_the_engine_closes_the_connection_and_takes_every_read(league: AsyncEngine) -> None:
    pid = await _driver_pid()
    db.use_engine(league)  # what `db.get_engine` does when a process first needs the engine
    assert await driver_reads.read(_teams_json(PageParams(50, 0))) is NOT_READ
    async with league.connect() as connection:
        for _ in range(100):  # the backend exits once it reads the closed socket (~5 s at most)
            alive = await connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if alive == 0:
                break
            await asyncio.sleep(0.05)
    assert alive == 0  # terminated, not left for the server's idle timeout


async def test_the_engine_built_while_the_first_connection_opens_gets_it_closed(
    league: AsyncEngine,
) -> None:
    """A concurrent request's miss builds the engine while this read connects: the new
    connection is closed, not kept beside the engine's pool."""
    reading = asyncio.create_task(driver_reads.read(_teams_json(PageParams(50, 0))))
    await asyncio.sleep(0)  # the read has started connecting
    db.use_engine(league)
    assert await reading is NOT_READ
    assert driver_reads._state.connection is None


async def test_a_statement_not_compiled_ahead_goes_to_the_engine(league: AsyncEngine) -> None:
    unnamed = prepared.Prepared(lambda: text("SELECT 1"))

    async def build(connection: Any) -> object:
        return await prepared.fetch(connection, unnamed)

    pid = await _driver_pid()
    assert await driver_reads.read(build) is NOT_READ
    assert await _driver_pid() == pid  # the connection stays: nothing was wrong with it


async def test_a_connection_that_cannot_be_opened_hands_the_process_to_the_engine(
    league: AsyncEngine, driver_env: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """The engine retries, refreshes rotated credentials and answers 503: this path only
    steps aside (for good: a second connect timeout per request would double the wait)."""
    driver_env.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:9/courtside")
    reset_settings()
    assert await driver_reads.read(_teams_json(PageParams(50, 0))) is NOT_READ
    driver_env.setenv("DATABASE_URL", postgres_url)
    reset_settings()
    assert await driver_reads.read(_teams_json(PageParams(50, 0))) is NOT_READ


async def test_an_error_the_server_answered_is_raised_as_the_engine_raises_it(
    league: AsyncEngine, driver_env: pytest.MonkeyPatch
) -> None:
    """`courtside.errors` answers by SQLSTATE from SQLAlchemy's `DBAPIError`, as for a
    statement sent on the engine's driver connection (`prepared.fetch`)."""
    driver_env.setenv("DB_SCHEMA", "no_such_schema")  # `teams` is not on the search path
    reset_settings()
    with pytest.raises(exc.DBAPIError) as raised:
        await driver_reads.read(_teams_json(PageParams(50, 0)))
    assert getattr(raised.value.orig, "sqlstate", None) == "42P01"


ACTIVE_QUERY = text("SELECT query FROM pg_stat_activity WHERE pid = :pid AND state = 'active'")


async def test_a_connection_the_server_closed_while_idle_is_replaced(league: AsyncEngine) -> None:
    pid = await _driver_pid()
    async with league.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    body = await driver_reads.read(_teams_json(PageParams(50, 0)))
    assert isinstance(body, bytes)  # on a new connection: asyncpg saw the old one close
    assert await _driver_pid() != pid


async def test_a_connection_lost_during_a_statement_is_read_through_the_engine(
    league: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that may have been cut short is built again through the engine (reads only:
    twice changes nothing), and the next one opens a new connection."""
    sleep = prepared.Prepared(lambda: text("SELECT pg_sleep(5)"), name="test.sleep")
    try:
        prepared.compiled_ahead("teams.page")  # the compiled statements loaded
        assert prepared._ahead is not None
        ahead = prepared._Compiled("SELECT pg_sleep(5)", (), {}, {})
        monkeypatch.setitem(prepared._ahead, "test.sleep", ahead)  # as if compiled ahead
        pid = await _driver_pid()

        async def build(connection: Any) -> object:
            return await prepared.fetch(connection, sleep)

        reading = asyncio.create_task(driver_reads.read(build))
        async with league.connect() as connection:
            for _ in range(100):  # until the statement runs (at most ~5 s)
                query = await connection.scalar(
                    text(
                        "SELECT query FROM pg_stat_activity WHERE pid = :pid AND state = 'active'"
                    ),
                    {"pid": pid},
                )
                if query == "SELECT pg_sleep(5)":
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the statement never started")
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert await asyncio.wait_for(reading, 10) is NOT_READ
        assert await _driver_pid() != pid
    finally:
        del prepared.NAMED["test.sleep"]


async def test_a_connection_older_than_the_recycle_age_is_replaced(
    league: AsyncEngine, driver_env: pytest.MonkeyPatch
) -> None:
    pid = await _driver_pid()
    assert await _driver_pid() == pid
    driver_env.setattr(driver_reads._state, "opened_at", driver_reads._state.opened_at - 241)
    assert await _driver_pid() != pid


def _cold_public(targets: list[str], url: str, driver: bool) -> list[dict[str, Any]]:
    env = child_env(url, "courtside-public")
    env.update(
        REDIS_URL=REDIS_URL,
        CACHE_PREFIX=f"{REDIS_PREFIX}:driver-{uuid.uuid4().hex[:8]}",  # every entry a miss
        DB_DRIVER_READS=str(driver).lower(),
    )
    return [
        {**answer, "sqlalchemy": "sqlalchemy" in answer["modules"]}
        for answer in cold_public(targets, env)
    ]


@pytest.fixture
def committed_teams(league: AsyncEngine, postgres_url: str) -> str:
    return postgres_url


async def test_a_cold_public_miss_of_a_named_page_imports_no_sqlalchemy(
    committed_teams: str,
) -> None:
    """As the public Lambda runs (Redis, the stacks' `DB_DRIVER_READS`): the first miss
    of the teams page is read without SQLAlchemy; a route that needs the engine loads it,
    and the teams page is then read through it, the same bytes each time."""
    games = "/v1/games?date=2026-12-08&team=bos"
    (day,) = _cold_public([games], committed_teams, driver=True)
    assert (day["status"], day["cache"], day["sqlalchemy"]) == (200, "miss", False)
    assert [g["external_id"] for g in json.loads(day["body"])["items"]] == ["g0", "g1"]
    targets = ["/v1/teams?limit=50", "/v1/teams/BOS", "/v1/teams?limit=2"]
    first, team, then = _cold_public(targets, committed_teams, driver=True)
    assert (first["status"], first["cache"], first["sqlalchemy"]) == (200, "miss", False)
    assert (team["status"], team["sqlalchemy"]) == (200, True)
    assert (then["status"], then["cache"]) == (200, "miss")
    assert json.loads(then["body"])["items"] == json.loads(first["body"])["items"][:2]
    assert json.loads(first["body"])["total"] == 3
    (off,) = _cold_public(targets[:1], committed_teams, driver=False)
    assert (off["body"], off["sqlalchemy"]) == (first["body"], True)  # the test can fail


async def test_a_cold_miss_on_a_database_that_cannot_answer_is_the_engines_503(
    committed_teams: str,
) -> None:
    (miss,) = _cold_public(
        ["/v1/teams?limit=50"], "postgresql+asyncpg://postgres@127.0.0.1:9/courtside", True
    )
    assert (miss["status"], miss["sqlalchemy"]) == (503, True)
    assert miss["retry_after"] is not None
    assert json.loads(miss["body"])["error"]["code"] == "service_unavailable"
