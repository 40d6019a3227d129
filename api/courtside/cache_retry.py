"""When the cache tries Redis again after a failure (`Circuit`), and invalidations that did
not reach Redis, retried until they do.

An invalidation is the only way another instance learns that its cached entries are stale.
If Redis does not answer when one is sent (frozen, restarting, a network blip), the entries
written before it may be served again as soon as Redis answers others: for as long as their
TTL. So a failed invalidation is remembered here and sent again by a background task, once
per retry window, until it succeeds, whether or not this instance serves another request
(`Cache` also sends it before its own next read). On Lambda the task sleeps with the frozen
environment and resumes with the next invocation, whose first cache read sends it anyway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

log = logging.getLogger(__name__)

MIN_RETRY_SECONDS = 0.5
"""The shortest pause between two attempts, whatever the retry window is set to."""


class PendingInvalidations:
    """The namespaces whose invalidation failed, and the task that retries them.

    `attempt()` tries to send every pending invalidation and returns whether none is left;
    it must not raise (the cache counts a failure against its circuit itself).
    """

    def __init__(self, attempt: Callable[[], Awaitable[bool]], *, every_seconds: float) -> None:
        self._attempt = attempt
        self._every = max(every_seconds, MIN_RETRY_SECONDS)
        self._namespaces: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def __bool__(self) -> bool:
        return bool(self._namespaces)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._namespaces))

    def add(self, namespace: str) -> None:
        """Remember `namespace` and make sure a retry task is running."""
        self._namespaces.add(namespace)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._retry())

    def discard(self, namespace: str) -> None:
        self._namespaces.discard(namespace)

    async def _retry(self) -> None:
        while self._namespaces:
            await asyncio.sleep(self._every)
            try:
                if await self._attempt():
                    return
            except Exception:  # never let the task die with invalidations pending
                log.exception("retrying cache invalidations failed")

    def stop(self) -> None:
        """Cancel the retry task (the cache is closing)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()


class Circuit:
    """Whether to try Redis now: closed (yes), open (no, until the retry window has passed),
    then one probe at a time until a call succeeds."""

    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        self._open_until: float | None = None
        self._probing = False

    @property
    def closed(self) -> bool:
        return self._open_until is None

    def allow(self) -> bool:
        """True if this call may use Redis (when the circuit is open: only the one probe)."""
        if self._open_until is None:
            return True
        if self._probing or time.monotonic() < self._open_until:
            return False
        self._probing = True
        return True

    def succeeded(self) -> None:
        self._open_until = None
        self._probing = False

    def failed(self) -> None:
        self._open_until = time.monotonic() + self.retry_after_seconds
        self._probing = False
