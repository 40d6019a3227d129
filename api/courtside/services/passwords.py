"""Password hashing (Argon2id via pwdlib), the password policy, and timing-safe login checks.

The policy follows NIST SP 800-63B: a minimum length, no maximum below 128, no composition
rules, and a check against a list of 100,000 breached passwords (loaded on first use).

Hashing is CPU-bound (tens of milliseconds by design), so it runs in a worker thread:
argon2-cffi releases the GIL, and the event loop keeps serving other requests.
pwdlib is imported on first use, not at app import (cold start).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from courtside.settings import get_auth_settings

if TYPE_CHECKING:
    from pwdlib import PasswordHash

MAX_PASSWORD_LENGTH = 128
"""Long enough for any passphrase; short enough that hashing cannot be abused for DoS."""

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords-100k.txt"
"""SecLists' 100,000 most common passwords (MIT; provenance in data/README.md)."""

CONTEXT_WORDS = frozenset({"courtside", "basketball", "moneyline", "sportsbook"})
"""Words about this service, refused like common passwords (NIST SP 800-63B 5.1.1.2)."""

MIN_CORE_LENGTH = 4
_PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The common-password list, lower-cased, as a set: read on first use (sign-up or a
    password change), never at import, so cold starts do not pay for it."""
    text = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    return frozenset(text.lower().split("\n")) - {""}


def is_common(password: str) -> bool:
    """A listed password, or one padded with digits and symbols: `password123456` and
    `!Dragon2024` are what cracking rules try first, and a 10-character minimum makes
    padding the usual way to pass it. Only a core of `MIN_CORE_LENGTH`+ characters counts,
    so a short listed fragment inside a random password does not."""
    lowered = password.lower()
    known = common_passwords()
    if lowered in known or lowered in CONTEXT_WORDS:
        return True
    core = _PADDING.sub("", lowered)
    return len(core) >= MIN_CORE_LENGTH and (core in known or core in CONTEXT_WORDS)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHash:
    # lazy: pwdlib and argon2 load on the first password check
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
    if is_common(password):
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
