"""Running SQL as one of the database's login roles inside a test's transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection


async def as_role(
    connection: AsyncConnection, role: str, sql: str, *, keep: bool = False, **params: object
) -> object:
    """Run `sql` as `role` in a savepoint; return its first value, its row count, or the
    SQLSTATE it raised. The savepoint is rolled back unless `keep` (a write later statements
    should see); after an error it is always rolled back."""
    savepoint = await connection.begin_nested()
    try:
        await connection.execute(text(f"SET LOCAL ROLE {role}"))
        result = await connection.execute(text(sql), params)
        value = result.scalar() if result.returns_rows else result.rowcount
    except DBAPIError as exc:
        await savepoint.rollback()
        return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    await connection.execute(text("RESET ROLE"))
    if keep:
        await savepoint.commit()
    else:
        await savepoint.rollback()
    return value
