"""Public reads on a read replica, never older than the last invalidation of what they fill.

With `DATABASE_READ_URL` (or `DATABASE_READ_HOST` next to the RDS secret) a public cache miss
(`http_cache.cached_json`) is built on the replica; everything else — sessions, units of
work, signed-in pages, `/v1/me*`, auth state, flags, betting decisions, the cache versions
without Redis — uses the writer (`courtside.db`), as it always did. So a signed-in user
reads their own writes at once, and every decision reads the data it decides on.

**The floor.** A replica replays the writer's WAL some time after the commit. A cache entry
is filed under its namespace's version token, read before the value is built
(`courtside.cache`). When a replica is configured, every new token carries the writer's WAL
insert position taken when the token was made, *after* the commit that invalidated the
namespace: `<random>@<lsn>` (`new_version`). A miss builds on the replica only if the
replica's `pg_last_wal_replay_lsn()` has reached that position (the floor), else on the
writer (`read_public`).

Why that is enough: the token is made after the commit returned, so the writer's insert
position is past the commit record; a replica whose replay position is at or past the floor
has replayed that commit, and every snapshot taken there afterwards (replay only moves
forward) sees it and everything before it. The value is therefore at least as new as the
invalidation its token stands for, which is exactly what the writer would guarantee (a
value built while a newer invalidation lands is filed under the older token and never
served, as before). A token without a floor (Redis down, the position could not be read,
a token made before the replica was configured, the versions kept in the database without
Redis) reads the writer: never a guess.

The replay position a connection has seen is remembered on that connection (`info`): a
connection that already saw a position at or past the floor builds without asking again,
so a warm replica costs one round trip per floor per connection, not one per miss.

**The lag bound.** The floor makes a fill as new as the last invalidation; it says nothing
of data that changed without one (an entry that expired by its TTL is built again under the
same old token). So a replica is also not read while it lags past `DB_READ_MAX_LAG_BYTES`:
the WAL it has received from the writer but not replayed yet,
`pg_last_wal_receive_lsn() - pg_last_wal_replay_lsn()`, asked in the same round trip as the
replay position, at most every `DB_READ_LAG_CHECK_SECONDS` per process (and whenever a
connection is below the floor). And while it has not replayed all it received, past
`DB_READ_MAX_LAG_SECONDS`: the age of the last transaction it replayed
(`now() - pg_last_xact_replay_timestamp()`, 0 when everything received is replayed: that age
grows on an idle writer that commits nothing, and its caught-up replica is not late). The
seconds catch a few bytes stuck for long, which the bytes bound lets through. Replay is
where a replica falls behind (a paused replay, a query holding it back under
`max_standby_streaming_delay`, a burst of writes replayed by one process); what the replica
has not received yet (a slow or broken link) is not seen by either bound, only by the floor.
A server without a receive position (streaming not started: restarted,
restoring from the archive) has an unknown lag, counted as past the bound: the writer serves.

**Faults.** A replica that cannot answer (down, refusing, too slow, cancelling a query for
a recovery conflict: a database or connection error, not an answer such as a 404, which the
writer would give too) is skipped: the read goes to the writer, and for
`DB_READ_RETRY_AFTER_FAILURE_SECONDS` this process does not try the replica again (a stopped
host costs at most one connect timeout per window). With several replicas (RDS read replicas:
`DATABASE_READ_HOST=a,b,c`, no reader endpoint spreads them) a process reads one, picked at
random, and moves to the next after a connection failure (once per failed engine, however
many reads failed on it together; a statement error on a host that answers moves nothing).
A replica that is behind the floor (lagging, replay paused) or past the lag bound is a read
on the writer too. A server that is no longer in recovery (a promoted replica) has no replay
position and is not used as a replica.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from courtside import db
from courtside.replica_settings import ReplicaSettings, get_replica_settings
from courtside.settings import get_database_settings

T = TypeVar("T")

log = logging.getLogger(__name__)

FLOOR_SEPARATOR = b"@"
_REPLAYED = "courtside_replayed_lsn"
"""Key in a replica connection's `info`: the highest replay position it has seen."""
_POSITION_AND_LAG = text(
    "SELECT pg_last_wal_replay_lsn()::text AS replayed, CASE WHEN pg_last_wal_receive_lsn() "
    "IS NOT NULL THEN GREATEST(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), "
    "pg_last_wal_replay_lsn()), 0) END AS lag, CASE WHEN pg_last_wal_receive_lsn() <= "
    "pg_last_wal_replay_lsn() THEN 0 ELSE extract(epoch FROM now() - "
    "pg_last_xact_replay_timestamp()) END AS lag_seconds"
)
"""The replay position and the WAL received but not replayed; a NULL lag: no receive position
(streaming not started: a restarted replica, one restoring from the archive), so the lag is
unknown and the replica is treated as lagging (`GREATEST(NULL, 0)` would be 0, a guess).
`lag_seconds`: 0 when everything received is replayed (an idle writer commits nothing, and
its replica is not late), else the age of the last transaction replayed; NULL (none replayed
since the replica started): unknown, lagging too."""


def parse_lsn(value: str) -> int:
    """`16/B374D848` → an integer (PostgreSQL's pg_lsn text form: two hex halves)."""
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def floor_of(version: bytes | None) -> int | None:
    """The writer position a version token carries; None: unknown (read the writer)."""
    if not version:
        return None
    _, separator, position = version.partition(FLOOR_SEPARATOR)
    if not separator:
        return None
    try:
        return parse_lsn(position.decode())
    except ValueError:
        return None


class Replica:
    """A replica's engine, and whether to try it now (closed for a while after a failure)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retry_after_seconds: float,
        max_lag_bytes: int = 16 * 1024 * 1024,
        max_lag_seconds: float = 30.0,
        lag_check_seconds: float = 1.0,
        next_engine: Callable[[], AsyncEngine] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.next_engine = next_engine
        """Another replica's engine, when there are several (`build_replica`)."""
        self.reads = db.EngineReads(engine)
        self.retry_after_seconds = retry_after_seconds
        self.max_lag_bytes = max_lag_bytes
        self.max_lag_seconds = max_lag_seconds
        self.lag_check_seconds = lag_check_seconds
        self._clock = clock
        self._skip_until = 0.0
        self._lagging = False
        """Past a lag bound (or its lag unknown) when last asked (`_lag_asked_at`)."""
        self._lag_asked_at: float | None = None
        self._closing: set[asyncio.Task[None]] = set()
        """Engines left after a failure, being disposed of (`move_on`)."""
        self.served = 0
        """Reads served by the replica (tests, benchmarks)."""
        self.behind = 0
        """Reads sent to the writer because the replica had not reached the floor."""
        self.failed = 0
        """Reads sent to the writer because the replica failed (or was skipped after one)."""
        self.lagging = 0
        """Reads sent to the writer because the replica lagged past a bound (bytes, seconds)."""

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]], floor: int) -> T:
        """`work` on the replica if it has replayed up to `floor` and lags at most
        `max_lag_bytes` and `max_lag_seconds`, else on the writer."""
        if self._clock() < self._skip_until:
            self.failed += 1
            return await db.read(work)
        engine, reads = self.engine, self.reads  # what this read tries (`move_on`)

        async def attempt(connection: AsyncConnection) -> list[T] | None:
            """[result] from the replica; [] when it has not replayed up to the floor, None
            when it lags past the bound."""
            if await self._replayed(connection, floor) < floor:
                return []
            if self._lagging:
                return None
            return [await work(connection)]

        try:  # `db.read` retries once on a fresh connection if a pooled one was dead
            served = await db.read(attempt, source=reads)
        except Exception as error:
            if not _replica_failure(error):
                raise  # the answer (a 404, a bad parameter): the writer's would be the same
            self.failed += 1
            self._skip_until = self._clock() + self.retry_after_seconds
            log.warning(
                "read replica failed (%s: %s); public reads use the writer for %.0f s",
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                self.retry_after_seconds,
            )
            if _connection_failure(error):  # a statement error: the host is up, stay
                self.move_on(engine)
            return await db.read(work)
        if served:
            self.served += 1
            return served[0]
        if served is None:
            self.lagging += 1
        else:
            self.behind += 1
        return await db.read(work)

    def move_on(self, failed: AsyncEngine) -> None:
        """After a connection failure on `failed`, the next replica when there are several
        (tried once the retry window has passed): its engine replaces this one. Only once
        per failed engine: reads that failed on it together move one host, not one each
        (which could land back on the dead host). The old engine's connections are closed
        in the background, not on this request's time."""
        if self.next_engine is None or failed is not self.engine:
            return
        self.engine = self.next_engine()
        self.reads = db.EngineReads(self.engine)
        self._lag_asked_at = None
        closing = asyncio.create_task(failed.dispose())
        self._closing.add(closing)  # referenced until done (the loop keeps weak references)
        closing.add_done_callback(self._closing.discard)

    async def _replayed(self, connection: AsyncConnection, floor: int) -> int:
        """The replay position of the connection's server, asked (with the lag) only when the
        highest one this connection has seen is below `floor` or the lag was last asked
        `lag_check_seconds` ago; -1 for a server that is not in recovery."""
        known = int(connection.info.get(_REPLAYED, -1))
        now = self._clock()
        fresh = self._lag_asked_at is not None and now - self._lag_asked_at < self.lag_check_seconds
        if known >= floor and fresh:
            return known
        row = (await connection.execute(_POSITION_AND_LAG)).one()
        if row.replayed is None:
            return -1
        self._lagging = (
            row.lag is None
            or int(row.lag) > self.max_lag_bytes
            or row.lag_seconds is None
            or float(row.lag_seconds) > self.max_lag_seconds
        )
        self._lag_asked_at = now
        known = max(known, parse_lsn(str(row.replayed)))
        connection.info[_REPLAYED] = known
        return known


def _replica_failure(error: BaseException) -> bool:
    """The replica could not answer (a database or connection error: the writer will), as
    opposed to an answer `work` raised itself (a 404), which is the same on the writer."""
    if isinstance(error, SQLAlchemyError | OSError | TimeoutError):
        return True
    return type(error).__module__.startswith("asyncpg")


_CONNECTION_ERRORS = (
    "PostgresConnectionError",  # SQLSTATE class 08
    "CannotConnectNowError",  # 57P03: starting up, shutting down
    "AdminShutdownError",
    "CrashShutdownError",
    "ConnectionDoesNotExistError",  # the connection was closed under the query
)
"""asyncpg's errors that say the host, not the statement, failed."""


def _connection_failure(error: BaseException) -> bool:
    """The host could not be reached or dropped the connection (a refusal, a timeout, a
    shutdown, SQLAlchemy's invalidated connection), as opposed to a statement the host
    answered with an error (a recovery-conflict cancel): only the former moves hosts."""
    seen: BaseException | None = error
    for _ in range(6):  # SQLAlchemy wraps the driver's error, which wraps asyncpg's
        if seen is None:
            return False
        if isinstance(seen, DisconnectionError | OSError | TimeoutError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if type(seen).__module__.startswith("asyncpg") and any(
            cls.__name__ in _CONNECTION_ERRORS for cls in type(seen).__mro__
        ):
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else (seen.__cause__ or seen.__context__)
    return False


_replica: Replica | None = None
_configured = False


def build_replica(settings: ReplicaSettings) -> Replica | None:
    """The replica the settings name, or None (every read on the writer). With several hosts
    (RDS read replicas, `DATABASE_READ_HOST=a,b,c`) this process starts on one picked at
    random and moves to the next after a failure (`Replica.move_on`)."""
    if not settings.configured:
        return None
    database = get_database_settings()
    if not settings.read_hosts:
        assert settings.database_read_url is not None
        engine = db.build_engine(database, url=settings.database_read_url)
        return _replica_of(engine, settings)
    hosts = settings.read_hosts
    start = secrets.randbelow(len(hosts))  # processes spread over the replicas
    order = itertools.cycle(hosts[start:] + hosts[:start])

    def connect() -> AsyncEngine:
        """The next host's engine: the writer's secret, that host (on AWS)."""
        here = database.model_copy(update={"database_host": next(order)})
        return db.build_engine(here, url=db.database_url(here))

    return _replica_of(connect(), settings, next_engine=connect if len(hosts) > 1 else None)


def _replica_of(
    engine: AsyncEngine,
    settings: ReplicaSettings,
    next_engine: Callable[[], AsyncEngine] | None = None,
) -> Replica:
    return Replica(
        engine,
        retry_after_seconds=settings.db_read_retry_after_failure_seconds,
        max_lag_bytes=settings.db_read_max_lag_bytes,
        max_lag_seconds=settings.db_read_max_lag_seconds,
        lag_check_seconds=settings.db_read_lag_check_seconds,
        next_engine=next_engine,
    )


def get_replica() -> Replica | None:
    """The process's replica, built on first use from the settings (None: not configured)."""
    global _replica, _configured
    if not _configured:
        use_replica(build_replica(get_replica_settings()))
    return _replica


def use_replica(replica: Replica | None) -> None:
    """Make `replica` the process's replica (tests; None: every read on the writer)."""
    global _replica, _configured
    _replica, _configured = replica, True
    if replica is not None:
        db.on_dispose(dispose)


async def dispose() -> None:
    """Close the replica's engine; the settings are read again at the next use."""
    global _replica, _configured
    replica, _replica, _configured = _replica, None, False
    get_replica_settings.cache_clear()
    if replica is not None:
        await replica.engine.dispose()


async def read_public(work: Callable[[AsyncConnection], Awaitable[T]], version: bytes | None) -> T:
    """`work` for a public cache entry filed under `version`: on the replica when one is
    configured and has replayed past the version's floor, else on the writer."""
    replica = get_replica()
    floor = floor_of(version)
    if replica is None or floor is None:
        return await db.read(work)
    return await replica.read(work, floor)


async def writer_position() -> int:
    """The writer's current WAL insert position (one round trip on the writer)."""
    position = await db.read(
        lambda connection: connection.scalar(text("SELECT pg_current_wal_insert_lsn()::text"))
    )
    return parse_lsn(str(position))


async def new_version() -> bytes:
    """A new namespace version token: random, with the writer's position as its floor when
    a replica is configured (see the module docstring). Without the position (the writer
    cannot answer) the token has no floor, and fills under it read the writer."""
    token = secrets.token_hex(8).encode()
    if get_replica() is None:
        return token
    try:
        position = await writer_position()
    except Exception as error:
        log.warning("no writer position for a cache version (%s): fills read the writer", error)
        return token
    return token + FLOOR_SEPARATOR + format_lsn(position).encode()
