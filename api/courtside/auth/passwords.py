"""Password hashing (Argon2id via pwdlib), the password policy, and timing-safe login checks.

Hashing is CPU-bound (tens of milliseconds by design), so it runs in a worker thread:
argon2-cffi releases the GIL, and the event loop keeps serving other requests.
pwdlib is imported on first use, not at app import (cold start).
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache
from typing import TYPE_CHECKING

from courtside.settings import get_auth_settings

if TYPE_CHECKING:
    from pwdlib import PasswordHash

MAX_PASSWORD_LENGTH = 128
"""Long enough for any passphrase; short enough that hashing cannot be abused for DoS."""

COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty1234",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "administrator",
        "changeme12",
        "basketball",
        "courtside1",
        "courtside12",
        "courtside123",
    }
)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHash:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    return PasswordHash(
        (Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism),)
    )


def password_hasher() -> PasswordHash:
    """The hasher with the parameters currently configured (changing them triggers rehash)."""
    settings = get_auth_settings()
    return _hasher(
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )


def password_problems(password: str, *, username: str = "", email: str = "") -> list[str]:
    """Why a password is refused (empty list: acceptable). Messages are shown to people."""
    problems: list[str] = []
    minimum = get_auth_settings().password_min_length
    if len(password) < minimum:
        problems.append(f"must be at least {minimum} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        problems.append("is too common")
    if password and len(set(password)) < 4:
        problems.append("must contain at least 4 different characters")
    if username and username.lower() in lowered:
        problems.append("must not contain the username")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        problems.append("must not contain the e-mail address")
    if password != password.strip():
        problems.append("must not start or end with a space")
    return problems


def hash_password_sync(password: str) -> str:
    return password_hasher().hash(password)


async def hash_password(password: str) -> str:
    """A salted Argon2id hash (`$argon2id$v=19$m=...`)."""
    return await asyncio.to_thread(hash_password_sync, password)


def _verify_sync(password: str, password_hash: str) -> tuple[bool, str | None]:
    if len(password) > MAX_PASSWORD_LENGTH:
        _dummy_verify_sync()
        return False, None
    try:
        return password_hasher().verify_and_update(password, password_hash)
    except Exception:  # an unrecognised or corrupted hash never matches
        return False, None


async def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """`(matches, new_hash)`; `new_hash` is set when the stored hash's parameters are outdated."""
    return await asyncio.to_thread(_verify_sync, password, password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password_sync(secrets.token_urlsafe(24))


def _dummy_verify_sync() -> None:
    password_hasher().verify("not-the-password", _dummy_hash())


async def dummy_verify() -> None:
    """Spend one verification for an unknown user, so login time does not reveal usernames."""
    await asyncio.to_thread(_dummy_verify_sync)
