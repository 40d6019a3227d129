"""Flags that stop money-like actions, read from the database when the decision is made.

`flags.is_enabled` reads a cache (up to `FLAGS_TTL_SECONDS` old on an instance that missed an
invalidation, e.g. while Redis hung): good enough for what a page shows, not for accepting a
bet after an Admin turned betting off. `enabled_now` reads the flag in the deciding
transaction instead.

On PostgreSQL the read is also ordered against changes to the flag: the decider first takes
a transaction-scoped advisory lock on the flag's name in share mode, a change
(`lock_for_change`) takes it exclusively. So a change waits for the decisions already made
to commit, and a decision that starts after the change waits for its commit and then reads
the new value: no bet commits after the change with the old one. The read is a statement of
its own after the lock, so its snapshot is taken after the wait. An advisory lock rather
than a row lock because PostgreSQL queues it fairly: a steady stream of bets holding a row's
share lock would starve the Admin's update, while a waiting exclusive advisory lock holds
new share requests back. It also covers a built-in flag that has no row yet. On SQLite
every writer runs alone (`BEGIN IMMEDIATE`), so the read is enough.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import FeatureFlag
from courtside.services.flags import DEFAULTS


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for the flag's advisory lock."""
    digest = hashlib.sha256(f"courtside.flag:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def enabled_now(session: AsyncSession, name: str) -> bool:
    """The flag as committed now; no change to it commits before this transaction ends."""
    if _is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock_shared(_advisory_key(name))))
    enabled = await session.scalar(select(FeatureFlag.enabled).where(FeatureFlag.name == name))
    return DEFAULTS.get(name, False) if enabled is None else bool(enabled)


async def lock_for_change(session: AsyncSession, name: str) -> None:
    """Before changing a flag: wait for the decisions that read it, and make later ones wait
    for this transaction (PostgreSQL; held until the transaction ends)."""
    if _is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(_advisory_key(name))))
