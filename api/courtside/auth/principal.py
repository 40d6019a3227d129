"""Who is calling: `AuthUser` (a person) and `AuthApiKey` (a machine), and the cached
per-user state every request is checked against.

A token says who the user *was* when it was issued. On every request the user's active
flag, role and token version, and whether this token was signed out, are compared with
the database, so deactivation, demotion, "log out everywhere" and a sign-out take effect
at once. The database is the only record; the state is cached briefly
(`USER_STATE_CACHE_SECONDS`) under a namespace per user, and every change registers
that namespace with `unit_of_work.invalidate_on_commit`, which bumps it for every instance
(in Redis, or without Redis in the database: `cache_versions`). If Redis is
unreachable the cache is a miss and the database answers; if an invalidation is lost in
an outage, an entry cached before it lives at most its TTL. So the cache can make a change
late by at most `USER_STATE_CACHE_SECONDS`, on any instance, never lose it. The web pages
read the state uncached, with what the layout shows the viewer, in the one statement they
send anyway (`load_token_state_and_viewer`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import get_cache
from courtside.models import RevokedToken, Role, User
from courtside.services.page_reads import read_columns
from courtside.services.preferences import Viewer, viewer_of, viewer_statement
from courtside.services.users import user_state_namespace
from courtside.settings import get_auth_settings

CredentialSource = Literal["bearer", "cookie"]


@dataclass(frozen=True)
class AuthUser:
    """A signed-in person, as checked against the database for this request."""

    id: int
    username: str
    email: str
    role: str
    token_version: int
    jti: str
    source: CredentialSource
    password_reset_required: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value


@dataclass(frozen=True)
class AuthApiKey:
    """A machine client authenticated by `X-API-Key`."""

    id: int
    name: str
    scope: str
    prefix: str


@dataclass(frozen=True)
class TokenState:
    """What decides whether a token is still good: its user's current state, and whether
    this very token was signed out."""

    username: str
    email: str
    role: str
    is_active: bool
    token_version: int
    password_reset_required: bool
    token_revoked: bool


async def load_token_state(session: AsyncSession, user_id: int, jti: str) -> TokenState | None:
    """The state of the user and of their token `jti`, or None when the user does not exist.

    On the path of every authenticated request, so it costs one query by primary keys
    (the user, and the token among the revoked ones) on a cache miss, and nothing from the
    database on a hit. Cached per token for `USER_STATE_CACHE_SECONDS` under the user's
    namespace, which every change invalidates.
    """
    ttl = get_auth_settings().user_state_cache_seconds

    async def load() -> bytes:
        row = (
            await session.execute(select(*_state_columns(jti)).where(User.id == user_id))
        ).one_or_none()
        if row is None:
            return b"null"
        state = TokenState(*row)
        return json.dumps(state.__dict__).encode()

    raw, _hit = await get_cache().get_or_build(
        user_state_namespace(user_id), f"token:{jti}", ttl, load
    )
    values = json.loads(raw)
    return None if values is None else TokenState(**values)


StateLoader = Callable[[AsyncSession, int, str], Awaitable[TokenState | None]]
"""Reads the state of a user and of their token `jti` (`load_token_state`)."""


def _state_columns(jti: object) -> tuple[Any, ...]:
    """`TokenState`'s fields in order, for the token whose id is `jti` (a value, or a bind
    parameter): the user's columns, and whether that token was signed out."""
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == jti).exists()
    return (
        User.username,
        User.email,
        User.role,
        User.is_active,
        User.token_version,
        User.password_reset_required,
        revoked,
    )


@cache
def _state_and_viewer_query() -> Select[Any]:
    """`load_token_state_and_viewer`'s statement, built once: `load_token_state`'s columns,
    then the viewer's (`preferences.viewer_statement`); `user` and `jti` parameters. Sent
    through SQLAlchemy (`page_reads.read_columns`), not on the driver's connection: it is a
    page's first statement, usually on a connection just taken from the pool, where
    SQLAlchemy's disconnect handling (`db`'s `handle_error` listeners) must see a connection
    that failed, so that it is dropped rather than put back."""
    return viewer_statement(*_state_columns(bindparam("jti", type_=String)))


async def load_token_state_and_viewer(
    session: AsyncSession, user_id: int, jti: str
) -> tuple[TokenState | None, Viewer]:
    """The state of the user and of their token `jti` (as `load_token_state`, None when the
    user does not exist) and what the layout shows them (`preferences.viewer_statement`), in one
    statement.

    Issue 23: a signed-in page read the token's state from the cache (a Redis round trip)
    and then the viewer from the database (a statement); the page's sign-in check now reads
    the state with the viewer, from the database itself, so it is never late either.
    """
    params = {"user": user_id, "jti": jti}
    row = (await read_columns(session, _state_and_viewer_query(), params)).first()
    if row is None:
        return None, Viewer(None, 0)
    return TokenState(*row[:7]), viewer_of(row[7:])
