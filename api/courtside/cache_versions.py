"""Cache namespace versions kept in the database, for processes that cache in-process.

With Redis, a namespace's version token lives in Redis and an invalidation reaches every
process at once (`courtside.cache`). Without Redis (`make run`, the browser tests' app) each
process caches in its own memory, where a writer in another process (`make simulate`,
`python -m courtside ...`, a second uvicorn worker) cannot reach. Then the tokens live in
the table `cache_versions`, one row per namespace:

- **A writer** replaces the namespace's token with a new random one *in its own
  transaction*, just before it commits (`unit_of_work.invalidate_on_commit` registers
  `bump` as a before-commit hook): the new token becomes visible exactly when the data it
  covers does, and a writer that dies after its commit cannot lose the invalidation.
- **A reader** takes the namespace's token from the table before it serves or builds an
  entry, and serves an entry only if it was stored under that token (as with Redis, an
  entry is stored under the token read *before* its value was built). The token is read
  again once the one it knows is `CHECK_INTERVAL_SECONDS` old: one primary-key read per
  namespace per interval per process, not one per request, so a cache hit stays a lookup
  in memory (`make bench` measures it). On SQLite that read goes straight to the file
  through a read-only `sqlite3` connection of its own (microseconds, and no round trip
  through the async driver's thread, which cost a busy event loop more than the read
  itself); on PostgreSQL (only the tests run it without Redis) through the pool, started
  in the background once the token is half the interval old.

**The guarantee.** An invalidation that commits at time *c* is honoured by every read that
starts at *c* + `CHECK_INTERVAL_SECONDS` or later, in every process: such a read compares
with a token read by a query that started after *c*, hence at least as new as *c*'s; an
entry stored under that token was built by a process that had read the token before
building, so after the token existed, so from data committed at or after *c* (tokens are
random and never repeat, so an older entry cannot match by chance). Between *c* and *c* +
interval a process that checked just before *c* may still serve the older value. This
process's own writes are seen at once: after its commit it forgets what it knew of the
namespace and reads the table at its next use.

`CHECK_INTERVAL_SECONDS` is 0.1 s: below what a person notices between a command finishing
and the next page load, and at most ten indexed reads a second per hot namespace, which
the in-process cache's throughput does not feel. A version that cannot be read (the
database is down) is a miss: the reader builds from the database or fails with it, and
never serves an entry it could not check.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from courtside import db
from courtside.models import CacheVersion, utcnow

CHECK_INTERVAL_SECONDS = 0.1
SQLITE_TIMEOUT_SECONDS = 0.05
ABSENT = b"-"
"""The token of a namespace that was never invalidated (no row yet)."""
MAX_KNOWN = 10_000
"""Namespaces whose token this process remembers (one per user's auth state); forgetting
one only costs a read."""


class DatabaseVersions:
    """The namespace tokens of the `cache_versions` table, each re-read once it is older
    than the check interval (see the module docstring for what that guarantees)."""

    def __init__(
        self,
        check_interval_seconds: float = CHECK_INTERVAL_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.check_interval_seconds = check_interval_seconds
        self._clock = clock
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self._files: dict[str, sqlite3.Connection] = {}
        self._sequence = itertools.count(1)
        """Orders reads and `forget`s: a read started before a forget never counts after it."""
        self.reads = 0
        """How many times a token was read from the database (tests, benchmarks)."""

    async def token(self, namespace: str) -> bytes:
        """The namespace's token, as the database held it at most the interval ago.

        On SQLite the token is read from the file at once, synchronously (`_read_file`).
        Elsewhere (PostgreSQL without Redis: tests) a token past half the interval is still
        used while a read in the background brings a newer one, so requests under load do
        not wait for the database; a token past the whole interval is not: the request waits
        for a read. Requests that need a read while one is under way, started less than the
        interval ago and after any `forget`, wait for that one.
        """
        now = self._clock()
        known = self._known.get(namespace)
        if known is not None and known.token is not None:
            age = now - known.at
            if age < self.check_interval_seconds / 2:
                return known.token
            if age < self.check_interval_seconds:
                if db.sqlite_file() is None:
                    self._reading(namespace, now, known)  # a newer one, in the background
                return known.token
        path = db.sqlite_file()
        if path is not None:
            token = self._read_file(path, namespace)
            return self._store(namespace, now, next(self._sequence), token)
        return await asyncio.shield(self._reading(namespace, now, known))

    def _reading(self, namespace: str, now: float, known: _Known | None) -> asyncio.Future[bytes]:
        """The read of the namespace's token that answers for `now`: the one under way if
        it started less than the interval ago (and after any `forget`), else a new one."""
        floor = known.sequence if known is not None and known.token is None else 0
        pending = self._pending.get(namespace)
        if (
            pending is None
            or now - pending.at >= self.check_interval_seconds
            or pending.sequence < floor
        ):
            sequence = next(self._sequence)
            task = asyncio.ensure_future(self._read(namespace, now, sequence))
            task.add_done_callback(_retrieve)
            pending = self._pending[namespace] = _Pending(now, sequence, task)
        return pending.task

    async def _read(self, namespace: str, started: float, sequence: int) -> bytes:
        try:
            token = await db.read(lambda connection: _read_token(connection, namespace))
        finally:
            current = self._pending.get(namespace)
            if current is not None and current.sequence == sequence:
                del self._pending[namespace]
        return self._store(namespace, started, sequence, token)

    def _store(self, namespace: str, started: float, sequence: int, token: bytes) -> bytes:
        self.reads += 1
        newest = self._known.get(namespace)
        if newest is None or newest.sequence < sequence:  # an older read never wins
            self._known[namespace] = _Known(started, sequence, token)
            self._known.move_to_end(namespace)
            while len(self._known) > MAX_KNOWN:
                self._known.popitem(last=False)
        return token

    def _read_file(self, path: str, namespace: str) -> bytes:
        """The token, read from the SQLite file directly: a primary-key look-up on a local
        file takes microseconds, far less than a round trip through the async driver's
        thread (which, on a busy machine, also makes the event loop wait for the GIL). A
        read-only connection of its own, opened once; WAL readers never wait for writers,
        and a locked file (recovery) fails after `SQLITE_TIMEOUT_SECONDS`: a miss."""
        connection = self._files.get(path)
        if connection is None:
            connection = sqlite3.connect(
                f"{Path(path).resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=SQLITE_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            self._files[path] = connection
        row = connection.execute(
            "SELECT token FROM cache_versions WHERE namespace = ?", (namespace,)
        ).fetchone()
        return ABSENT if row is None else str(row[0]).encode()

    def forget(self, namespaces: Iterable[str]) -> None:
        """Read these namespaces' tokens again at their next use (after this process's
        own commit changed them); a read already under way does not count."""
        for namespace in namespaces:
            self._known[namespace] = _Known(self._clock(), next(self._sequence), None)
            self._known.move_to_end(namespace)

    async def bump(self, session: AsyncSession, namespaces: Iterable[str]) -> None:
        """Give each namespace a new token, in `session`'s transaction (no commit).

        One statement; the rows in name order, so two writers bumping the same namespaces
        lock them in the same order (PostgreSQL holds the row locks until the commit,
        which follows at once: this runs just before it).
        """
        names = sorted(set(namespaces))
        if not names:
            return
        if session.get_bind().dialect.name == "postgresql":
            # lazy: one dialect's module, the one the session runs on
            from sqlalchemy.dialects.postgresql import insert
        else:
            # lazy: one dialect's module, the one the session runs on
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        now = utcnow()
        statement = insert(CacheVersion).values(
            [{"namespace": name, "token": _new_token(), "updated_at": now} for name in names]
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["namespace"],
                set_={"token": statement.excluded.token, "updated_at": now},
            )
        )

    async def bump_now(self, namespaces: Iterable[str]) -> None:
        """`bump` in a transaction of its own (a caller outside any unit of work)."""
        names = list(namespaces)
        async with db.get_sessionmaker()() as session:
            await self.bump(session, names)
            await session.commit()
        self.forget(names)


class _Known(NamedTuple):
    at: float
    """When the read that found `token` started (or when it was forgotten)."""
    sequence: int
    token: bytes | None
    """None: forgotten, read it again."""


class _Pending(NamedTuple):
    at: float
    sequence: int
    task: asyncio.Future[bytes]


def _retrieve(task: asyncio.Future[bytes]) -> None:
    """A background read nobody awaits may fail (the database is down): that is a miss
    for whoever needs the token next, not an unhandled error."""
    if not task.cancelled():
        task.exception()


async def _read_token(connection: AsyncConnection, namespace: str) -> bytes:
    token = await connection.scalar(
        select(CacheVersion.token).where(CacheVersion.namespace == namespace)
    )
    return ABSENT if token is None else token.encode()


def _new_token() -> str:
    return secrets.token_hex(8)
