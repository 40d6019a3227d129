"""Single-session sign-out: the database records the token id (`jti`) until the token
would have expired anyway.

The row is the record. Every request reads it together with the user's state (one query
on a cache miss, see `principal.load_token_state`), and the caller invalidates that cache
after committing, so a signed-out token is refused by every instance at once, or within
`USER_STATE_CACHE_SECONDS` at most if the invalidation is lost (Redis down): Redis only
caches the answer. "Log out everywhere", deactivation and demotion need no rows: they
change the user's token version, active flag or role, checked the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import RevokedToken, utcnow
from courtside.services.users import user_state_namespace
from courtside.unit_of_work import invalidate_on_commit


async def revoke(session: AsyncSession, *, jti: str, user_id: int, expires_at: int) -> None:
    """Record that this token is signed out (idempotent) and prune expired records.

    The user's cached state is invalidated after the unit of work commits.
    """
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(RevokedToken)
        .values(
            jti=jti,
            user_id=user_id,
            expires_at=datetime.fromtimestamp(expires_at, UTC),
            revoked_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["jti"])
    )

    invalidate_on_commit(session, user_state_namespace(user_id))
