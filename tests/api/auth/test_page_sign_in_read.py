"""A page's sign-in check reads the token's state with the viewer, from the database
(`principal.load_token_state_and_viewer`, issue 23).

The other routes read the state through the cache (`principal.load_token_state`: a change
can be late there by at most its TTL if an invalidation is lost); a page reads it in the
statement it sends for its viewer anyway, so it needs no Redis round trip and is never late.
The checks are the same (`credentials.user_for_claims`): these tests make the cache stale
on purpose and show that the pages follow the database while an API route follows the cache.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.auth.principal import load_token_state, load_token_state_and_viewer
from courtside.auth.tokens import decode_token, issue_token
from courtside.cache import Cache
from courtside.models import RevokedToken, Role, User, utcnow
from courtside.services import preferences
from courtside.settings import get_auth_settings
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML

SIGNED_IN = 'action="/logout"'


async def _signed_in(client: httpx.AsyncClient, session: AsyncSession) -> tuple[User, str]:
    """A user signed in on `client` (the session cookie), with the state of their token
    cached as every API route caches it; the token's id."""
    user = await make_user(session)
    await session.commit()
    issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
    client.cookies.set(get_auth_settings().session_cookie_name, issued.token)
    jti = decode_token(issued.token).jti
    cached = await load_token_state(session, user.id, jti)
    assert cached is not None and cached.is_active and not cached.token_revoked
    page = await client.get("/", headers=HTML)
    assert page.status_code == 200 and SIGNED_IN in page.text
    return user, jti


@pytest.mark.parametrize(
    "change",
    ["deactivated", "signed out everywhere", "demoted", "this token signed out"],
)
async def test_a_page_follows_the_database_where_the_cache_is_stale(
    client: httpx.AsyncClient, session: AsyncSession, cache: Cache, change: str
) -> None:
    user, jti = await _signed_in(client, session)
    before = (user.id, user.token_version, user.role)
    # Changed without the invalidation every service registers: the cache keeps the old
    # state (as after an invalidation lost in an outage), the database has the new one.
    if change == "this token signed out":
        await session.execute(
            insert(RevokedToken).values(jti=jti, user_id=user.id, expires_at=utcnow())
        )
    else:
        changes: dict[str, dict[str, Any]] = {
            "deactivated": {"is_active": False},
            "signed out everywhere": {"token_version": before[1] + 1},
            "demoted": {"role": Role.ADMIN.value},
        }
        await session.execute(update(User).where(User.id == before[0]).values(**changes[change]))
    await session.commit()
    stale = await load_token_state(session, before[0], jti)
    assert stale is not None and stale.is_active and not stale.token_revoked, change
    assert (stale.token_version, stale.role) == before[1:], change

    board = await client.get("/", headers=HTML)
    assert board.status_code == 200 and SIGNED_IN not in board.text, change  # a visitor now
    record = await client.get("/record", headers=HTML)
    assert record.status_code == 303, change
    assert record.headers["location"].startswith("/login?next="), change


async def test_the_state_and_the_viewer_are_read_in_one_statement(
    session: AsyncSession,
) -> None:
    user = await make_user(session)
    await session.commit()
    state, viewer = await load_token_state_and_viewer(session, user.id, "some-token-id")
    assert state is not None and state.username == user.username
    assert (state.is_active, state.role, state.token_revoked) == (True, user.role, False)
    assert viewer == preferences.Viewer(user.time_zone, 0)  # no notification, no wallet yet
    assert await load_token_state_and_viewer(session, user.id + 10_000, "x") == (
        None,
        preferences.Viewer(None, 0),
    )
    await session.execute(
        insert(RevokedToken).values(jti="gone", user_id=user.id, expires_at=utcnow())
    )
    revoked, _ = await load_token_state_and_viewer(session, user.id, "gone")
    assert revoked is not None and revoked.token_revoked


async def test_a_visitor_is_sent_to_sign_in_before_anything_is_read(
    client: httpx.AsyncClient, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page for signed-in people redirects a visitor before reading what the layout shows
    visitors (whether sign-up is open: a cache read); a public page still reads it."""
    reads: list[object] = []
    original = cache.backend.get_many

    async def get_many(keys: Any) -> Any:
        reads.append(keys)
        return await original(keys)

    monkeypatch.setattr(cache.backend, "get_many", get_many)
    record = await client.get("/record", headers=HTML)
    assert record.status_code == 303 and reads == []
    board = await client.get("/", headers=HTML)
    assert board.status_code == 200 and any("{flags}" in str(keys) for keys in reads)
