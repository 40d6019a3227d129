"""What a database failure means, without SQLAlchemy: the SQLSTATEs and driver errors that
say "the database cannot answer now" (a 503, `courtside.errors`), for errors of the driver
itself and for the cause a SQLAlchemy error wraps (`courtside.database_errors`).
"""

from __future__ import annotations

from enum import Enum

UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
"""Connection exception, insufficient resources, operator intervention (shutdown, restart,
statement timeout, query cancelled), system error: the database cannot answer right now."""
UNAVAILABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03", "25006"})
"""Serialization failure, deadlock, lock not available: transient, a retry succeeds; a write
refused by a server in recovery (a failover under way: `courtside.db` drops the pool)."""


def sqlstate_of(error: object) -> str:
    return str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")


def cause_is_unavailable(cause: BaseException) -> bool:
    """`is_unavailable` of a driver's own error (or what a SQLAlchemy error wraps)."""
    if isinstance(cause, OSError | TimeoutError):
        return True
    sqlstate = sqlstate_of(cause)
    if sqlstate:
        return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES or sqlstate in UNAVAILABLE_SQLSTATES
    # asyncpg's errors without a SQLSTATE are about the connection itself (its client-side
    # data errors are ValueErrors: the client's input, not an outage).
    return type(cause).__module__.startswith("asyncpg") and not isinstance(cause, ValueError)


class DatabaseFailure(Enum):
    """What a database error means for the client (`courtside.database_errors.failure_of`)."""

    UNAVAILABLE = "unavailable"
    """The database cannot answer now: 503 with `Retry-After`."""
    CONFLICT = "conflict"
    """A constraint refused the change: 409."""
    BAD_VALUE = "bad_value"
    """SQLSTATE class 22 (a NUL character, a number out of range, …): the client's value
    that validation let through, 422."""
    UNREPRESENTABLE = "unrepresentable"
    """A parameter failed to bind (`exc.orig` an `OverflowError`/`ValueError`): 422."""
    OURS = "ours"
    """Anything else: a 500."""
