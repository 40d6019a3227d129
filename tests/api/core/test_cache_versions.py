"""The in-process cache's namespace versions in the database (`courtside.cache_versions`):
a writer's invalidation commits with its changes, and a reader elsewhere honours it within
the check interval; a hit inside the interval reads nothing from the database.

Two `Cache` objects stand for two processes (each with its own memory and its own idea of
the versions); real commits on real connections (`committed_engine`), both dialects. The
same across two real processes: tests/api/core/test_cache_across_processes.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

from courtside import cache as cache_module
from courtside.cache import Cache, MemoryBackend
from courtside.cache_versions import ABSENT, DatabaseVersions
from courtside.models import CacheVersion, FeatureFlag
from courtside.unit_of_work import invalidate_on_commit, unit_of_work
from tests.helpers import both_dialects

INTERVAL = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _process(clock: Clock | None = None) -> Cache:
    """One process's cache: its own memory, its own view of the versions."""
    versions = DatabaseVersions(INTERVAL, clock=clock or Clock())
    return Cache(
        MemoryBackend(), prefix=f"t-{uuid.uuid4().hex[:6]}", retry_after_seconds=5,
        versions=versions,
    )  # fmt: skip


@pytest.fixture
def writer() -> Iterator[Cache]:
    """The process that writes: `invalidate_on_commit` finds it as the process's cache."""
    cache = _process()
    cache_module.use_cache(cache)
    yield cache
    cache_module.use_cache(None)


def _builder(value: bytes) -> Callable[[], Awaitable[bytes]]:
    async def build() -> bytes:
        return value

    return build


async def _read(cache: Cache, value: bytes) -> tuple[bytes, bool]:
    return await cache.get_or_build("schedule", "game:1", 60, _builder(value))


@both_dialects
async def test_a_writer_elsewhere_invalidates_within_the_interval(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    clock = Clock()
    reader = _process(clock)
    assert await _read(reader, b"scheduled") == (b"scheduled", False)
    assert await _read(reader, b"ignored") == (b"scheduled", True)

    async with unit_of_work() as work:
        work.session.add(FeatureFlag(name="cache_versions_probe", enabled=True))
        invalidate_on_commit(work.session, "schedule")
        clock.advance(INTERVAL)  # not committed yet: nothing to see
        assert await _read(reader, b"ignored") == (b"scheduled", True)

    # Committed. A reader that checked the version less than the interval ago may still
    # serve what it has (the stated bound) ...
    assert await _read(reader, b"ignored") == (b"scheduled", True)
    # ... and once the interval has passed it must not.
    clock.advance(INTERVAL)
    assert await _read(reader, b"final") == (b"final", False)
    assert await _read(reader, b"ignored") == (b"final", True)


@both_dialects
async def test_the_version_commits_with_the_change_or_not_at_all(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    async def failing_writer() -> None:
        async with unit_of_work() as work:
            invalidate_on_commit(work.session, "schedule", "reference")
            raise RuntimeError("the writer fails before its commit")

    with pytest.raises(RuntimeError):
        await failing_writer()
    async with unit_of_work() as work:
        assert list(await work.session.scalars(select(CacheVersion))) == []

    async with unit_of_work() as work:
        invalidate_on_commit(work.session, "schedule", "reference")
        invalidate_on_commit(work.session, "reference", "schedule")  # once per namespace set
        assert work.pending == 1
    async with unit_of_work() as work:
        rows = {
            row.namespace: row.token for row in await work.session.scalars(select(CacheVersion))
        }
    assert set(rows) == {"schedule", "reference"}
    assert all(len(token) == 16 for token in rows.values())

    async with unit_of_work() as work:
        invalidate_on_commit(work.session, "schedule")
    async with unit_of_work() as work:
        again = {
            row.namespace: row.token for row in await work.session.scalars(select(CacheVersion))
        }
    assert again["schedule"] != rows["schedule"]  # a new token, never the old one back
    assert again["reference"] == rows["reference"]


@both_dialects
async def test_a_unit_of_work_replaces_all_its_namespaces_in_one_pass_in_name_order(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    """Services register what they invalidate one after another (a settlement the records,
    then the ingest its dataset's namespaces): one statement replaces them all, rows in name
    order, so two writers never lock version rows in opposite orders (PostgreSQL)."""
    sent: list[tuple[str, object]] = []

    def record(_c: object, _cu: object, statement: str, parameters: object, *_: object) -> None:
        if "cache_versions" in statement:
            sent.append((statement, parameters))

    async with unit_of_work() as work:
        invalidate_on_commit(work.session, "records")
        invalidate_on_commit(work.session, "schedule", "markets", "records")
        invalidate_on_commit(work.session, "flags")
        assert work.pending == 1
        event.listen(committed_engine.sync_engine, "before_cursor_execute", record)
    event.remove(committed_engine.sync_engine, "before_cursor_execute", record)
    assert len(sent) == 1, sent
    names = ["flags", "markets", "records", "schedule"]
    text = str(sent[0][1])
    assert [text.index(f"'{name}'") for name in names] == sorted(
        text.index(f"'{name}'") for name in names
    ), text
    async with unit_of_work() as work:
        rows = sorted(row.namespace for row in await work.session.scalars(select(CacheVersion)))
    assert rows == names


@both_dialects
async def test_the_writing_process_sees_its_own_write_at_once(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    assert await _read(writer, b"before") == (b"before", False)
    async with unit_of_work() as work:
        invalidate_on_commit(work.session, "schedule")
    # No waiting for the interval (the writer's clock has not moved at all).
    assert await _read(writer, b"after") == (b"after", False)


@both_dialects
async def test_a_hit_inside_the_interval_reads_no_version(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    clock = Clock()
    reader = _process(clock)
    versions = reader.versions
    assert versions is not None
    await _read(reader, b"v")
    for _ in range(50):
        assert (await _read(reader, b"x"))[1] is True
    assert versions.reads == 1
    clock.advance(INTERVAL)
    await _read(reader, b"x")
    assert versions.reads == 2
    assert await versions.token("never-invalidated") == ABSENT


@both_dialects
async def test_invalidate_outside_a_unit_of_work_commits_its_own_version(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    clock = Clock()
    reader = _process(clock)
    await _read(reader, b"old")
    await writer.invalidate("schedule")
    clock.advance(INTERVAL)
    assert await _read(reader, b"new") == (b"new", False)


async def test_with_redis_nothing_is_written_to_the_database(
    committed_engine: AsyncEngine, cache: Cache
) -> None:
    """Production (Redis): the versions stay in Redis, the database is not touched."""
    assert cache.versions is None
    assert await cache.get_or_build("schedule", "k", 60, _builder(b"a")) == (b"a", False)
    async with unit_of_work() as work:
        invalidate_on_commit(work.session, "schedule")
    assert await cache.get_or_build("schedule", "k", 60, _builder(b"b")) == (b"b", False)
    async with unit_of_work() as work:
        assert list(await work.session.scalars(select(CacheVersion))) == []


def test_a_cache_without_redis_keeps_its_versions_in_the_database() -> None:
    from courtside.settings import CacheSettings

    assert cache_module.build_cache(CacheSettings(_env_file=None)).versions is not None
    redis = CacheSettings(_env_file=None, redis_url="redis://127.0.0.1:6379/0")
    assert cache_module.build_cache(redis).versions is None


@both_dialects
async def test_requests_finding_the_token_due_share_one_read(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    versions = DatabaseVersions(INTERVAL, clock=Clock())
    tokens = await asyncio.gather(*(versions.token("schedule") for _ in range(20)))
    assert set(tokens) == {ABSENT}
    assert versions.reads == 1


@both_dialects
async def test_a_read_started_before_a_commit_does_not_count_after_it(
    committed_engine: AsyncEngine, writer: Cache
) -> None:
    versions = DatabaseVersions(INTERVAL, clock=Clock())
    early = asyncio.ensure_future(versions.token("schedule"))
    await asyncio.sleep(0)  # under way
    async with unit_of_work() as work:
        await versions.bump(work.session, ["schedule"])
    versions.forget(["schedule"])  # what this process does after its own commit
    seen_early = await early  # the old token or the new one, depending on when it ran ...
    fresh = await versions.token("schedule")  # ... and not kept either way: the next use reads
    assert fresh != ABSENT and seen_early in (ABSENT, fresh)
    assert versions.reads == 2
