"""Read routing without a replica server: floors in version tokens, the settings, the seams.

The behaviour on a real streaming replica is in tests/api/faults/test_read_replica.py.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside import db, read_replica
from courtside.cache import Cache, MemoryBackend
from courtside.replica_settings import ReplicaSettings


def test_lsn_text_round_trips() -> None:
    for value in ("0/0", "0/16B3748", "16/B374D848", "FFFFFFFF/FFFFFFFF"):
        assert read_replica.format_lsn(read_replica.parse_lsn(value)) == value
    assert read_replica.parse_lsn("1/0") > read_replica.parse_lsn("0/FFFFFFFF")


@pytest.mark.parametrize(
    ("version", "floor"),
    [
        (b"0123456789abcdef@16/B374D848", (0x16 << 32) + 0xB374D848),
        (b"0123456789abcdef", None),  # made without a replica, or without the position
        (b"0123456789abcdef@not-a-position", None),
        (b"", None),
        (None, None),  # the cache could not be read: the value will not be cached
    ],
)
def test_a_version_without_a_readable_floor_reads_the_writer(
    version: bytes | None, floor: int | None
) -> None:
    assert read_replica.floor_of(version) == floor


def test_the_read_url_must_be_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_READ_URL", "postgresql://reader@replica:5432/courtside")
    assert (
        ReplicaSettings().database_read_url == "postgresql+asyncpg://reader@replica:5432/courtside"
    )
    assert ReplicaSettings().configured
    monkeypatch.setenv("DATABASE_READ_URL", "sqlite:///var/courtside.db")
    with pytest.raises(ValidationError, match="DATABASE_READ_URL must be a PostgreSQL URL"):
        ReplicaSettings()
    monkeypatch.delenv("DATABASE_READ_URL")
    assert not ReplicaSettings().configured


async def test_without_a_replica_tokens_carry_no_floor_and_reads_use_the_writer(
    connection: AsyncConnection,
) -> None:
    read_replica.use_replica(None)
    try:
        token = await read_replica.new_version()
        assert read_replica.FLOOR_SEPARATOR not in token and len(token) == 16

        async def one(connection: AsyncConnection) -> int:
            return int(await connection.scalar(text("SELECT 1")) or 0)

        assert await read_replica.read_public(one, b"0123456789abcdef@0/1") == 1
    finally:
        await read_replica.dispose()


async def test_the_cache_hands_the_fill_the_token_it_files_under() -> None:
    made = iter([b"first@0/10", b"second@0/20"])

    async def new_token() -> bytes:
        return next(made)

    cache = Cache(MemoryBackend(), prefix="t", retry_after_seconds=5, new_token=new_token)
    seen: list[bytes | None] = []

    async def fill(version: bytes | None) -> bytes:
        seen.append(version)
        return b"value"

    assert await cache.get_or_fill("ns", "k", 60, fill) == (b"value", False)
    assert await cache.get_or_fill("ns", "k", 60, fill) == (b"value", True)
    await cache.invalidate("ns")
    assert await cache.get_or_fill("ns", "k", 60, fill) == (b"value", False)
    assert seen == [b"first@0/10", b"second@0/20"]


async def test_reads_share_the_test_connection_through_the_public_seam(
    connection: AsyncConnection,
) -> None:
    """`use_connection` (the harness) makes every read join one connection's transaction:
    a row it has not committed is visible to `db.read`, and no SQLite file is read aside."""
    await connection.execute(text("CREATE TEMPORARY TABLE seam (n integer)"))
    await connection.execute(text("INSERT INTO seam VALUES (7)"))

    async def seven(read_on: AsyncConnection) -> int:
        return int(await read_on.scalar(text("SELECT n FROM seam")) or 0)

    assert await db.read(seven) == 7
    assert db.sqlite_file() is None
