"""What a SQLAlchemy error means for the client: imported by `courtside.errors` only once
something has imported SQLAlchemy (a cold start answered from the cache never does, issue 23).

The classes are tried from the most specific to the least, as the class-keyed handlers this
replaces were looked up (a class's own handler before its ancestors'): `IntegrityError` <
`DBAPIError` < `StatementError` < `SQLAlchemyError`, and the pool's `TimeoutError`.
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from courtside.database_failures import DatabaseFailure, cause_is_unavailable, sqlstate_of


def is_unavailable(exc: SQLAlchemyError) -> bool:
    """`courtside.errors.is_unavailable` of a SQLAlchemy error: the pool's timeout, a
    disconnect, an operational or interface error, or a cause the database cannot answer."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    ):
        return True
    cause = exc.orig if isinstance(exc, StatementError) else exc
    return cause is not None and cause_is_unavailable(cause)


def failure_of(exc: BaseException) -> DatabaseFailure | None:
    """What `exc` means for the client; None if it is not a SQLAlchemy error."""
    if not isinstance(exc, SQLAlchemyError):
        return None
    if is_unavailable(exc):
        return DatabaseFailure.UNAVAILABLE
    if isinstance(exc, IntegrityError):
        return DatabaseFailure.CONFLICT
    if isinstance(exc, DBAPIError):
        if isinstance(exc, DataError) or sqlstate_of(exc.orig).startswith("22"):
            return DatabaseFailure.BAD_VALUE
        return DatabaseFailure.OURS
    if isinstance(exc, StatementError) and isinstance(exc.orig, OverflowError | ValueError):
        return DatabaseFailure.UNREPRESENTABLE
    return DatabaseFailure.OURS
