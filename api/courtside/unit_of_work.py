"""The unit of work: one owner for a transaction and for what must follow its commit.

A unit of work is a session plus an `on_commit` list. Services write through the session
and register what must happen only once their writes are durable (drop a cached user
state, invalidate the flags or a league namespace, deliver notifications); they never
commit. The owner commits exactly once:

- a request: `UnitOfWorkDep` commits when the endpoint returns and rolls back when it
  raises, before the response is sent (a commit that fails is the request's error, never
  a success already on its way to the client);
- a script, a CLI command or a test: `async with unit_of_work() as uow: ...`.

`SessionDep` (the request's session, `courtside.db`'s) is named here too: the pages take it
from the module that owns its transaction, since they may not import `courtside.db`, where
the engine lives (the "Pages run no SQL" contract, docs/layers.md).

After a successful commit every hook runs, in the order registered; a hook that fails is
logged and the others still run (the data is committed: failing the request now would
only hide that). After a failed commit or a rollback no hook runs. A hook registered with
a `key` runs once however often it is registered (two changes to one user, one
invalidation).

A `before_commit` hook runs inside the transaction, just before the commit, and may write
through the session (the in-process cache's namespace versions, `cache_versions`): it
commits with the changes it belongs to or not at all. One that fails fails the commit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from courtside.db import SessionDep as SessionDep  # for the pages (see the docstring)
from courtside.db import close_quietly, get_sessionmaker

logger = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]
_INFO_KEY = "courtside.unit_of_work"


class NoUnitOfWork(RuntimeError):
    """A service registered an after-commit hook on a session no unit of work owns."""


class UnitOfWork:
    """A session and the hooks that run after it commits (see the module docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._hooks: dict[Hashable, Hook] = {}
        self._before: dict[Hashable, Hook] = {}
        self._anonymous = 0
        self.invalidated: set[str] = set()
        """The cache namespaces to invalidate at the next commit (`invalidate_on_commit`)."""
        session.info[_INFO_KEY] = self

    def on_commit(self, hook: Hook, *, key: Hashable | None = None) -> None:
        """Run `hook` after the next successful commit (once per `key`)."""
        if key is None:
            self._anonymous += 1
            key = ("anonymous", self._anonymous)
        self._hooks.setdefault(key, hook)

    def before_commit(self, hook: Hook, *, key: Hashable) -> None:
        """Run `hook` in the transaction, just before the next commit (once per `key`)."""
        self._before.setdefault(key, hook)

    @property
    def pending(self) -> int:
        """How many hooks wait for the commit."""
        return len(self._hooks)

    async def commit(self) -> None:
        """Run the before-commit hooks, commit; then run every hook. A failed commit (or
        before-commit hook) drops the hooks and raises."""
        before = list(self._before.values())
        self._before.clear()
        hooks = list(self._hooks.values())
        self._hooks.clear()
        self.invalidated = set()  # the hooks hold the set of this commit
        for early in before:
            await early()
        await self.session.commit()
        for hook in hooks:
            try:
                await hook()
            except Exception:
                logger.exception("after-commit hook %r failed", hook)

    async def rollback(self) -> None:
        """Discard the transaction and every hook registered for it."""
        self._hooks.clear()
        self._before.clear()
        self.invalidated = set()
        await self.session.rollback()

    async def abandon(self) -> None:
        """Roll back because the work raised; never raise instead of that error. A rollback
        that fails (the connection died) invalidates the session: nothing was committed and
        the connection is discarded, and the client still gets the original error."""
        try:
            await self.rollback()
        except Exception as error:
            logger.warning("rollback failed, discarding the connection: %s", type(error).__name__)
            await close_quietly(self.session)


def of(session: AsyncSession) -> UnitOfWork:
    """The unit of work that owns `session`."""
    owner = session.info.get(_INFO_KEY)
    if not isinstance(owner, UnitOfWork):
        raise NoUnitOfWork(
            "this session has no unit of work: use UnitOfWorkDep in a route, or "
            "`async with unit_of_work()` elsewhere, so what follows the commit is not lost"
        )
    return owner


def on_commit(session: AsyncSession, hook: Hook, *, key: Hashable | None = None) -> None:
    """Register `hook` to run after the commit of the unit of work owning `session`."""
    of(session).on_commit(hook, key=key)


def invalidate_on_commit(session: AsyncSession, *namespaces: str) -> None:
    """Make the cache drop these namespaces once the unit of work owning `session` commits,
    in every process.

    With Redis: their versions in Redis are replaced after the commit (`Cache.invalidate`).
    With the in-process cache: in the database, in this very transaction, just before the
    commit (`cache_versions`), so another process's cache sees it too; after the commit
    this process re-reads them.

    Every namespace a unit of work invalidates before one commit is replaced in one pass,
    in name order, however many services registered which: with the in-process cache on
    PostgreSQL each version row is locked as it is replaced, so two units of work that
    invalidate overlapping namespaces (an ingest of games that settles bets and one of odds)
    lock them in the same order and never wait on each other in a circle.
    """
    # lazy: the cache (redis-py) loads only when a write invalidates it
    from courtside.cache import get_cache

    work, versions = of(session), get_cache().versions
    names = work.invalidated
    first = not names
    names.update(namespaces)
    if not first:
        return  # the hooks registered first replace these too
    key = ("cache",)
    if versions is None:

        async def invalidate() -> None:
            await get_cache().invalidate(*sorted(names))

        work.on_commit(invalidate, key=key)
        return

    async def bump() -> None:
        await versions.bump(session, tuple(sorted(names)))

    async def forget() -> None:
        versions.forget(tuple(sorted(names)))

    work.before_commit(bump, key=key)
    work.on_commit(forget, key=key)


@asynccontextmanager
async def unit_of_work(
    maker: async_sessionmaker[AsyncSession] | None = None,
) -> AsyncIterator[UnitOfWork]:
    """A new session as one unit of work: committed at the end, rolled back on an error."""
    async with (maker or get_sessionmaker())() as session:
        work = UnitOfWork(session)
        try:
            yield work
        except BaseException:
            await work.abandon()
            raise
        await work.commit()


async def request_unit_of_work(session: SessionDep) -> AsyncIterator[UnitOfWork]:
    """The request's session as a unit of work (the session the auth dependencies use)."""
    work = UnitOfWork(session)
    try:
        yield work
    except BaseException:
        await work.abandon()
        raise
    await work.commit()


UnitOfWorkDep = Annotated[UnitOfWork, Depends(request_unit_of_work, scope="function")]
"""For routes that write. Function scope: the commit happens before the response is sent."""
