"""API keys for machine clients: create (secret shown once), list, revoke, authenticate.

A key reads `cs_<prefix>_<secret>`. The prefix is public and finds the row; only the
SHA-256 of the secret is stored and it is compared with `hmac.compare_digest`. The secret
is 256 random bits, so a fast hash is right (no offline guessing is feasible); passwords,
which people choose, get Argon2id instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Invalid, NotAuthenticated, NotFound
from courtside.models import ApiKey, ApiScope, utcnow
from courtside.schemas.common import PageParams
from courtside.services import audit
from courtside.services.pagination import PageOf, paginate
from courtside.settings import get_auth_settings

KEY_PATTERN = re.compile(r"^cs_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
"""`cs_` + 12 hex characters of prefix + `_` + 43 url-safe characters (32 random bytes)."""


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scope_allows(granted: str, needed: str) -> bool:
    """`write` implies `read`."""
    return granted == needed or (granted == ApiScope.WRITE.value and needed == ApiScope.READ.value)


async def create_key(
    session: AsyncSession,
    *,
    name: str,
    scope: ApiScope | str,
    actor: audit.Actor,
    created_by_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return `(row, full_key)`; the full key is never retrievable again."""
    try:
        scope_value = ApiScope(scope).value
    except ValueError:
        raise Invalid("invalid_scope", "The scope must be 'read' or 'write'.") from None
    name = name.strip()
    if not 2 <= len(name) <= 64:
        raise Invalid("invalid_name", "The key name must be 2 to 64 characters long.")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        scope=scope_value,
        created_by_id=created_by_id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="api_key.create",
        target=f"api_key:{row.id}",
        details={"name": row.name, "scope": scope_value, "prefix": prefix},
    )
    return row, f"cs_{prefix}_{secret}"


async def list_keys(
    session: AsyncSession, *, include_revoked: bool = True, page: PageParams
) -> PageOf[ApiKey]:
    """Keys, newest first, and the total count."""
    query = select(ApiKey)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return await paginate(session, query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc()), page)


async def get_key(session: AsyncSession, key_id: int) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None:
        raise NotFound("API key", key_id)
    return row


async def revoke_key(session: AsyncSession, *, key_id: int, actor: audit.Actor) -> ApiKey:
    """Revoke a key (idempotent: revoking twice keeps the first time and records nothing)."""
    row = await get_key(session, key_id)
    if row.revoked_at is not None:
        return row
    row.revoked_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="api_key.revoke",
        target=f"api_key:{row.id}",
        details={"name": row.name, "prefix": row.prefix},
    )
    return row


async def find_key(session: AsyncSession, presented: str) -> ApiKey | None:
    """The key whose full value is `presented` (revoked or not), or None. Reads only.

    A malformed key, an unknown prefix and a wrong secret all spend one hash comparison and
    give the same answer, so timing does not reveal which prefixes exist.
    """
    match = KEY_PATTERN.fullmatch(presented.strip())
    if match is None:
        return None
    prefix, secret = match.groups()
    row = (
        await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
    ).scalar_one_or_none()
    expected = row.secret_hash if row is not None else "0" * 64
    if not hmac.compare_digest(_hash_secret(secret), expected) or row is None:
        return None
    return row


async def authenticate_key(session: AsyncSession, presented: str) -> ApiKey:
    """The active key matching `presented`, or 401. Touches `last_used_at` at most once a
    minute, in the request's unit of work (a request that fails records no use)."""
    row = await find_key(session, presented)
    if row is None:
        raise NotAuthenticated("invalid_api_key", "The API key is not valid.")
    if row.revoked_at is not None:
        raise NotAuthenticated("revoked_api_key", "The API key has been revoked.")
    await _touch(session, row)
    return row


async def _touch(session: AsyncSession, row: ApiKey) -> None:
    interval = timedelta(seconds=get_auth_settings().api_key_touch_interval_seconds)
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < interval:
        return
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == row.id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - interval))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        row.last_used_at = now
