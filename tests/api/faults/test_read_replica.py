"""Public reads on a REAL streaming replica: correct under lag, a replica that dies, a promotion.

This module starts its own PostgreSQL primary and a hot standby made with
`pg_basebackup -R` (`tests.replicas`), lags it on demand with `pg_wal_replay_pause()`, and
runs the app in-process with `DATABASE_READ_URL`'s replica (`courtside.read_replica`) and
the writer behind a `MovableEndpoint` (a cluster endpoint that a failover moves). The cache
is the real Redis, under a prefix of its own, with version tokens that carry the writer's
WAL position (what `build_cache` wires when a replica is configured).

The tests run in file order and share the servers; the promotion is the last one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from courtside import cache as cache_module
from courtside import db, read_replica
from courtside.http_cache import REFERENCE, SCHEDULE
from courtside.models import Team, utcnow
from courtside.settings import get_database_settings, reset_settings
from tests.api.auth.helpers import make_user, user_headers
from tests.api.betting.factories import make_slate
from tests.conftest import REDIS_PREFIX, REDIS_URL
from tests.replicas import MovableEndpoint, OwnReplica
from tests.servers import AppInstance, OwnPostgres, free_port

pytestmark = pytest.mark.postgres_only

RETRY_AFTER = 5.0
LAG_BOUND = 1024 * 1024
"""DB_READ_MAX_LAG_BYTES of the stack's replica: 1 MiB received and not replayed."""
LAG_CHECK = 1.0
"""DB_READ_LAG_CHECK_SECONDS: a test moves the stack's clock past it to have the lag asked."""


@dataclass
class Stack:
    primary: OwnPostgres
    replica: OwnReplica
    endpoint: MovableEndpoint
    writer: AsyncEngine
    state: read_replica.Replica
    cache: cache_module.Cache
    http: httpx.AsyncClient
    headers: dict[str, str]
    game_id: int
    clock: list[float]


async def _seed(engine: AsyncEngine) -> tuple[dict[str, str], int]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        user = await make_user(session)
        game = (await make_slate(session, home_odds=-150, away_odds=130)).games[0]
        await session.commit()
        return user_headers(user), game.id


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    primary = OwnPostgres().start()
    replica: OwnReplica | None = None
    endpoint = await MovableEndpoint(primary.port).start()
    previous_engine = db.get_engine()
    engines: list[AsyncEngine] = []
    redis = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        primary.psql("CREATE DATABASE courtside")
        from courtside.migrate import upgrade

        await asyncio.to_thread(upgrade, primary.url("courtside"))
        settings = get_database_settings()
        seed_engine = db.build_engine(settings, url=primary.url("courtside"), bounded=False)
        engines.append(seed_engine)
        headers, game_id = await _seed(seed_engine)
        replica = OwnReplica(primary)
        replica.start()
        replica.wait_for(primary)

        writer = db.build_engine(
            settings, url=f"postgresql+asyncpg://postgres@127.0.0.1:{endpoint.port}/courtside"
        )
        reader = db.build_engine(settings, url=replica.url("courtside"))
        engines += [writer, reader]
        clock = [0.0]
        state = read_replica.Replica(
            reader,
            retry_after_seconds=RETRY_AFTER,
            max_lag_bytes=LAG_BOUND,
            lag_check_seconds=LAG_CHECK,
            clock=lambda: clock[0],
        )
        db.use_engine(writer)
        read_replica.use_replica(state)
        cache = cache_module.Cache(
            cache_module.RedisBackend(redis),
            prefix=f"{REDIS_PREFIX}:replica:{uuid.uuid4().hex[:8]}",
            retry_after_seconds=5,
            new_token=read_replica.new_version,
        )
        cache_module.use_cache(cache)
        reset_settings()
        from courtside.main import create_app

        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Stack(
                primary, replica, endpoint, writer, state, cache, http, headers, game_id, clock
            )
    finally:
        cache_module.use_cache(None)
        read_replica.use_replica(None)
        db.use_engine(previous_engine)
        reset_settings()
        for engine in engines:
            await engine.dispose()
        await redis.aclose()
        await endpoint.close()
        if replica is not None:
            replica.destroy()
        primary.destroy()


async def _writer_sql(stack: Stack, sql: str, **params: Any) -> None:
    async with stack.writer.begin() as connection:
        await connection.execute(text(sql), params)


async def _caught_up(stack: Stack, *namespaces: str) -> None:
    """Invalidate (the new tokens' floors are the writer's position now), then let the
    replica replay past them: the next misses may be served by the replica."""
    await stack.cache.invalidate(*namespaces)
    stack.replica.wait_for(stack.primary)


def _abbreviations(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {team["abbreviation"] for team in items}


async def test_public_misses_are_served_by_a_replica_that_caught_up(stack: Stack) -> None:
    await _caught_up(stack, REFERENCE, SCHEDULE)
    served = stack.state.served

    first = await stack.http.get("/v1/teams")
    again = await stack.http.get("/v1/teams")

    assert _abbreviations(first) == {"BOS", "NYK", "LAL", "DEN"}
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert stack.state.served == served + 1  # the miss; the hit took no connection


async def test_a_lagging_replica_never_refills_the_cache_with_older_data(stack: Stack) -> None:
    stack.replica.pause_replay()
    try:
        await _writer_sql(
            stack,
            "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
            "VALUES ('SEA', 'Seattle', 'SuperSonics', 'West', 'Northwest', now())",
        )
        await stack.cache.invalidate(REFERENCE)  # what the ingestion's after-commit hook does
        behind = stack.state.behind

        # The replica really is stale: a fill there without the floor would miss SEA.
        async def abbreviations(connection: AsyncConnection) -> set[str]:
            return set((await connection.scalars(select(Team.abbreviation))).all())

        assert "SEA" not in await stack.state.read(abbreviations, floor=0)

        filled = await stack.http.get("/v1/teams")
        served_from_cache = await stack.http.get("/v1/teams")

        assert "SEA" in _abbreviations(filled)
        assert stack.state.behind == behind + 1  # the fill read the writer
        assert served_from_cache.headers["x-cache"] == "hit"
        assert "SEA" in _abbreviations(served_from_cache)
    finally:
        stack.replica.resume_replay()

    await _caught_up(stack, REFERENCE)
    served = stack.state.served
    assert "SEA" in _abbreviations(await stack.http.get("/v1/teams"))
    assert stack.state.served == served + 1  # replayed past the floor: the replica again


async def test_a_signed_in_user_reads_their_own_writes_and_bets_decide_on_the_writer(
    stack: Stack,
) -> None:
    stack.replica.pause_replay()
    try:
        # A new line on the writer only: the replica still has -150/+130.
        await _writer_sql(
            stack,
            "INSERT INTO odds_snapshots (game_id, bookmaker, home_odds, away_odds, recorded_at) "
            "VALUES (:game, 'book', -110, 105, :at)",
            game=stack.game_id,
            at=utcnow(),
        )
        await stack.cache.invalidate(SCHEDULE)

        placed = await stack.http.post(
            "/v1/me/bets",
            json={"game_id": stack.game_id, "side": "away", "stake": 10},
            headers=stack.headers,
        )
        assert placed.status_code == 201, placed.text
        assert placed.json()["odds"] == 105  # the writer's price, not the replica's 130
        bet_id = placed.json()["id"]

        listed = (await stack.http.get("/v1/me/bets", headers=stack.headers)).json()
        assert bet_id in [item["id"] for item in listed["items"]]
        cancelled = await stack.http.post(f"/v1/me/bets/{bet_id}/cancel", headers=stack.headers)
        assert cancelled.status_code == 200, cancelled.text
        read_back = await stack.http.get(f"/v1/me/bets/{bet_id}", headers=stack.headers)
        assert read_back.json()["status"] == cancelled.json()["status"]
        assert (
            stack.replica.psql(f"SELECT count(*) FROM mart.bets WHERE id = {bet_id}", "courtside")
        ).strip() == "0"  # the replica has not seen the bet at all
    finally:
        stack.replica.resume_replay()


async def test_a_stopped_replica_sends_public_reads_to_the_writer(stack: Stack) -> None:
    await _caught_up(stack, SCHEDULE)
    stack.replica.stop()
    try:
        failed = stack.state.failed
        answers = [await stack.http.get(f"/v1/games?date=2026-01-0{day}") for day in range(1, 4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        assert all(answer.headers["x-cache"] == "miss" for answer in answers)
        assert stack.state.failed == failed + 3  # one failure, then skipped for the window
    finally:
        stack.replica.start()

    stack.clock[0] += RETRY_AFTER  # the window has passed: the replica is tried again
    await _caught_up(stack, SCHEDULE)
    served = stack.state.served
    assert (await stack.http.get("/v1/games?date=2026-01-05")).status_code == 200
    assert stack.state.served == served + 1


async def test_with_several_replicas_a_failed_one_is_left_for_the_next(stack: Stack) -> None:
    """Several RDS replicas (`DATABASE_READ_HOST=a,b`): the process's first one refuses (no
    server behind it); that miss reads the writer, and after the retry window the next
    replica, the real one, serves."""
    dead = db.build_engine(
        get_database_settings(),
        url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/courtside",
    )
    clock = [0.0]
    several = read_replica.Replica(
        dead,
        retry_after_seconds=RETRY_AFTER,
        next_engine=lambda: db.build_engine(
            get_database_settings(), url=stack.replica.url("courtside")
        ),
        clock=lambda: clock[0],
    )
    read_replica.use_replica(several)
    try:
        await _caught_up(stack, SCHEDULE)
        answer = await stack.http.get("/v1/games?date=2026-01-07")
        assert answer.status_code == 200
        assert (several.failed, several.served) == (1, 0)  # the writer answered
        assert several.engine is not dead  # moved on to the next replica

        clock[0] += RETRY_AFTER
        assert (await stack.http.get("/v1/games?date=2026-01-08")).status_code == 200
        assert (several.failed, several.served) == (1, 1)
    finally:
        read_replica.use_replica(stack.state)
        await several.engine.dispose()


async def test_reads_failing_together_move_once_and_end_on_a_live_replica(stack: Stack) -> None:
    """Hosts [dead, live, dead2]: four reads fail on the first host together. They move the
    process one host (to the live one), not one host each (which would end on dead2); the
    next read after the window is the live replica's."""
    settings = get_database_settings()
    refused = [f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/courtside" for _ in "ab"]
    order = iter([stack.replica.url("courtside"), refused[1]] * 4)
    engines = [db.build_engine(settings, url=refused[0])]

    def next_engine() -> AsyncEngine:
        engines.append(db.build_engine(settings, url=next(order)))
        return engines[-1]

    clock = [0.0]
    several = read_replica.Replica(
        engines[0], retry_after_seconds=RETRY_AFTER, next_engine=next_engine,
        clock=lambda: clock[0],
    )  # fmt: skip

    async def one(connection: AsyncConnection) -> Any:
        return await connection.scalar(text("SELECT 1"))

    try:
        await _caught_up(stack, SCHEDULE)
        assert await asyncio.gather(*(several.read(one, 0) for _ in range(4))) == [1] * 4
        assert several.failed == 4 and len(engines) == 2  # moved once
        assert several.engine.url.port == stack.replica.port
        clock[0] += RETRY_AFTER
        assert await several.read(one, 0) == 1
        assert several.served == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_statement_error_on_a_live_replica_reads_the_writer_and_stays(
    stack: Stack,
) -> None:
    """A statement the replica answers with an error (here: a function a server in recovery
    refuses) is read on the writer; the host is up, so the process does not move hosts."""
    moved: list[int] = []
    several = read_replica.Replica(
        stack.state.engine,
        retry_after_seconds=RETRY_AFTER,
        next_engine=lambda: moved.append(1) or stack.state.engine,  # type: ignore[func-returns-value]
    )

    async def position(connection: AsyncConnection) -> Any:
        return await connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))

    await _caught_up(stack, SCHEDULE)
    assert read_replica.parse_lsn(str(await several.read(position, 0))) > 0  # the writer's
    assert several.failed == 1 and moved == []
    assert several.engine is stack.state.engine


def test_only_errors_of_the_connection_move_hosts() -> None:
    """The driver's and SQLAlchemy's errors as they are raised (wrapped), not a server."""
    import asyncpg  # lazy: the driver's exception classes, for this test only
    from sqlalchemy.exc import DBAPIError, DisconnectionError

    def wrapped(error: BaseException, invalidated: bool = False) -> DBAPIError:
        outer = DBAPIError(
            "SELECT 1", None, Exception(str(error)), connection_invalidated=invalidated
        )
        outer.orig.__cause__ = error  # type: ignore[union-attr]
        return outer

    moving = [
        ConnectionRefusedError(),
        TimeoutError(),
        DisconnectionError(),
        wrapped(asyncpg.exceptions.CannotConnectNowError("starting up")),
        wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed")),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating")),
        wrapped(Exception("lost"), invalidated=True),
    ]
    staying = [
        wrapped(asyncpg.exceptions.SerializationError("conflict with recovery")),
        wrapped(asyncpg.exceptions.ObjectNotInPrerequisiteStateError("recovery in progress")),
        ValueError("not the database"),
    ]
    assert [read_replica._connection_failure(e) for e in moving] == [True] * len(moving)
    assert [read_replica._connection_failure(e) for e in staying] == [False] * len(staying)


async def test_the_app_under_uvicorn_reads_the_replica_named_by_database_read_url(
    stack: Stack, tmp_path: Path
) -> None:
    """The settings path end to end: `make run`'s command line with DATABASE_READ_URL and
    REDIS_URL. A team committed on the writer while replay is paused (and never invalidated)
    is a 404 on the next miss, which only the replica can answer; once replayed, a 200."""
    app = AppInstance(
        {
            "DATABASE_URL": stack.primary.url("courtside"),
            "DATABASE_READ_URL": stack.replica.url("courtside"),
            "REDIS_URL": REDIS_URL,
            "CACHE_PREFIX": f"{REDIS_PREFIX}:uvicorn:{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
        },
        tmp_path / "app.log",
    )
    try:
        async with httpx.AsyncClient(base_url=app.base, timeout=10) as http:
            # The namespace's first token: its floor is the writer's position now.
            assert (await http.get("/v1/teams/BOS")).status_code == 200
            stack.replica.wait_for(stack.primary)
            stack.replica.pause_replay()
            try:
                await _writer_sql(
                    stack,
                    "INSERT INTO teams (abbreviation, city, name, conference, division, "
                    "updated_at) VALUES ('PDX', 'Portland', 'Trail Blazers', 'West', "
                    "'Northwest', now())",
                )
                missing = await http.get("/v1/teams/PDX")  # only the replica lacks it
                assert missing.status_code == 404, app.log.read_text()[-3000:]
            finally:
                stack.replica.resume_replay()
            stack.replica.wait_for(stack.primary)
            assert (await http.get("/v1/teams/PDX")).status_code == 200
    finally:
        app.stop()


async def test_a_replica_lagging_past_the_bound_sends_misses_to_the_writer(stack: Stack) -> None:
    """Data committed without an invalidation (an entry rebuilt after its TTL, under the old
    token) is only as new as the replica: within the bound a miss reads the replica; past
    it (WAL received and not replayed > DB_READ_MAX_LAG_BYTES) the writer; replayed, the
    replica again."""
    await _caught_up(stack, REFERENCE)
    stack.replica.pause_replay()
    try:
        await _writer_sql(
            stack,
            "INSERT INTO teams (abbreviation, city, name, conference, division, updated_at) "
            "VALUES ('VAN', 'Vancouver', 'Grizzlies', 'West', 'Northwest', now())",
        )  # not invalidated: the floor does not move
        stack.replica.wait_for_receipt(stack.primary)
        stack.clock[0] += LAG_CHECK  # the lag is asked again at the next miss
        served, lagging = stack.state.served, stack.state.lagging
        within = await stack.http.get("/v1/teams/VAN")
        assert within.status_code == 404  # a few hundred bytes behind: the replica answered
        assert stack.state.lagging == lagging

        await _writer_sql(  # WAL past the bound, none of it for the app's tables
            stack, "SELECT pg_logical_emit_message(false, 'lag', repeat('x', :n))", n=2 * LAG_BOUND
        )
        stack.replica.wait_for_receipt(stack.primary)
        assert (await stack.http.get("/v1/teams/VAN")).status_code == 404  # lag not asked yet
        stack.clock[0] += LAG_CHECK
        past = await stack.http.get("/v1/teams/VAN")
        assert past.status_code == 200, past.text  # the writer's answer
        assert (stack.state.served, stack.state.lagging) == (served, lagging + 1)
    finally:
        stack.replica.resume_replay()

    await _caught_up(stack, REFERENCE)  # the writer's 200 was cached: a miss again
    stack.clock[0] += LAG_CHECK
    served = stack.state.served
    assert (await stack.http.get("/v1/teams/VAN")).status_code == 200
    assert stack.state.served == served + 1  # replayed: the replica again


async def test_a_replica_stuck_behind_past_the_time_bound_sends_misses_to_the_writer(
    stack: Stack,
) -> None:
    """A few bytes stuck (replay paused, one commit received: far within the bytes bound) while
    the last transaction replayed is older than DB_READ_MAX_LAG_SECONDS (a bound of 1 ms here,
    which a commit replayed before the pause is past): the writer. With everything received
    replayed the age counts 0, however old the last transaction: the replica."""
    await _caught_up(stack, SCHEDULE)
    previous, stack.state.max_lag_seconds = stack.state.max_lag_seconds, 0.001
    stack.replica.pause_replay()
    try:
        stack.clock[0] += LAG_CHECK
        served, lagging = stack.state.served, stack.state.lagging
        assert (await stack.http.get("/v1/games?date=2026-02-01")).status_code == 200
        assert (stack.state.served, stack.state.lagging) == (served + 1, lagging)

        await _writer_sql(stack, "UPDATE teams SET updated_at = now() WHERE abbreviation = 'BOS'")
        stack.replica.wait_for_receipt(stack.primary)  # received, not replayed: not invalidated
        stack.clock[0] += LAG_CHECK
        assert (await stack.http.get("/v1/games?date=2026-02-02")).status_code == 200
        assert (stack.state.served, stack.state.lagging) == (served + 1, lagging + 1)
    finally:
        stack.replica.resume_replay()
        stack.state.max_lag_seconds = previous


async def test_a_replica_without_a_receive_position_is_lagging(stack: Stack) -> None:
    """A replica restarted with streaming not started (here: no primary_conninfo) has replayed
    WAL but no receive position: its lag is unknown, so misses read the writer (not a lag of
    0); streaming again, the replica serves."""
    conninfo = stack.replica.psql("SHOW primary_conninfo").strip()
    await _caught_up(stack, REFERENCE)
    stack.replica.psql("ALTER SYSTEM SET primary_conninfo = ''")
    stack.replica.stop()
    try:
        stack.replica.start()
        await stack.state.engine.dispose()  # its pooled connections died with the server
        assert stack.replica.psql("SELECT pg_last_wal_receive_lsn() IS NULL").strip() == "t"
        stack.clock[0] += LAG_CHECK
        served, lagging = stack.state.served, stack.state.lagging
        assert (await stack.http.get("/v1/teams/BOS")).status_code == 200
        assert (stack.state.served, stack.state.lagging) == (served, lagging + 1)
    finally:
        quoted = conninfo.replace("'", "''")
        stack.replica.psql(f"ALTER SYSTEM SET primary_conninfo = '{quoted}'")
        stack.replica.psql("SELECT pg_reload_conf()")
    await _caught_up(stack, REFERENCE)
    stack.clock[0] += LAG_CHECK
    served = stack.state.served
    assert (await stack.http.get("/v1/teams/BOS")).status_code == 200
    assert stack.state.served == served + 1


async def test_a_writer_failover_is_a_503_until_the_promoted_replica_takes_writes(
    stack: Stack,
) -> None:
    await _caught_up(stack, SCHEDULE)
    bet = {"game_id": stack.game_id, "side": "home", "stake": 5}

    def assert_unavailable(response: httpx.Response) -> None:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert "error" in response.json()

    stack.primary.stop("immediate")
    for _ in range(3):  # the writer is gone: pooled connections and new ones fail
        assert_unavailable(await stack.http.post("/v1/me/bets", json=bet, headers=stack.headers))
    public = await stack.http.get("/v1/games?date=2026-02-01")
    assert public.status_code == 200  # the replica still answers public reads

    stack.endpoint.move(stack.replica.port)  # the endpoint moves before the promotion ends
    for _ in range(3):  # a server in recovery refuses the write (SQLSTATE 25006): a 503
        assert_unavailable(await stack.http.post("/v1/me/bets", json=bet, headers=stack.headers))

    stack.replica.promote()
    resumed = await stack.http.post("/v1/me/bets", json=bet, headers=stack.headers)
    assert resumed.status_code == 201, resumed.text  # same app, same engine: no restart
    after = await stack.http.get("/v1/games?date=2026-02-02")
    assert after.status_code == 200  # the promoted server is no replica: the writer reads
