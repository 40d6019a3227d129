"""Factories for accounts, tokens and API keys (also used by the auth matrix test)."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.auth.tokens import issue_token
from courtside.models import User
from courtside.services import api_keys, audit
from courtside.services.passwords import hash_password_sync

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


@lru_cache(maxsize=8)
def password_hash(password: str = PASSWORD) -> str:
    """Hash once per test run: Argon2id is slow on purpose."""
    return hash_password_sync(password)


async def make_user(
    session: AsyncSession,
    *,
    role: str = "Consumer",
    username: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    commit: bool = True,
) -> User:
    n = next(_seq)
    name = username or f"user{n}x"
    user = User(
        username=name,
        email=f"{name}@example.test",
        password_hash=password_hash(password),
        role=role,
        is_active=active,
    )
    session.add(user)
    await session.flush()
    if commit:
        await session.commit()
    return user


def token(user: User, **kwargs: Any) -> str:
    return issue_token(
        user_id=user.id, role=user.role, token_version=user.token_version, **kwargs
    ).token


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def user_headers(user: User) -> dict[str, str]:
    return bearer(token(user))


def expired_token(user: User) -> str:
    return token(user, now=datetime.now(UTC) - timedelta(hours=2))


def tampered_token(user: User) -> str:
    value = token(user)
    head, payload, signature = value.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}.{payload}.{flipped}"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(user: User) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "sub": str(user.id),
        "role": user.role,
        "iat": now,
        "exp": now + 600,
        "jti": f"forged-{next(_seq)}",
        "ver": user.token_version,
    }


def alg_none_token(user: User) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user))}."


def other_secret_token(user: User) -> str:
    from jose import jwt

    return jwt.encode(_claims(user), "another-secret-that-is-long-enough-1234", algorithm="HS256")


async def make_key(
    session: AsyncSession, scope: str, *, name: str | None = None, commit: bool = True
) -> str:
    _row, full_key = await api_keys.create_key(
        session, name=name or f"key-{next(_seq)}", scope=scope, actor=audit.SYSTEM
    )
    if commit:
        await session.commit()
    return full_key


def key_headers(full_key: str) -> dict[str, str]:
    return {"X-API-Key": full_key}
