"""The secrets of e-mailed account links (`services.account_tokens`): stored hashed, used
once (also when two requests race with one link), expiring, and only the newest live."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from courtside.models import AccountToken, AccountTokenPurpose, utcnow
from courtside.services import account_tokens
from courtside.unit_of_work import unit_of_work
from tests.helpers import both_dialects

from .helpers import make_user

RESET = AccountTokenPurpose.PASSWORD_RESET
CHANGE = AccountTokenPurpose.EMAIL_CHANGE


@both_dialects
async def test_a_token_is_stored_hashed_used_once_and_expires(session: AsyncSession) -> None:
    user = await make_user(session, commit=False)
    secret = await account_tokens.issue(session, user_id=user.id, purpose=RESET)
    row = await session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert row is not None
    assert len(secret) >= 43  # 256 random bits
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() != secret
    assert secret not in {row.token_hash, row.new_email, row.purpose}
    assert row.expires_at - row.created_at == account_tokens.PASSWORD_RESET_LIFETIME

    assert await account_tokens.peek(session, secret, CHANGE) is None  # another purpose
    assert await account_tokens.peek(session, secret, RESET) is not None  # peeking uses nothing
    used = await account_tokens.consume(session, secret, RESET)
    assert used is not None and used.user_id == user.id
    assert await account_tokens.consume(session, secret, RESET) is None  # single use
    assert await account_tokens.peek(session, secret, RESET) is None

    late = await account_tokens.issue(session, user_id=user.id, purpose=RESET)
    after_expiry = utcnow() + account_tokens.PASSWORD_RESET_LIFETIME + timedelta(seconds=1)
    assert await account_tokens.peek(session, late, RESET, now=after_expiry) is None
    assert await account_tokens.consume(session, late, RESET, now=after_expiry) is None
    assert await account_tokens.consume(session, late, RESET) is not None  # still in time


@both_dialects
async def test_only_the_newest_link_works_and_junk_is_refused(session: AsyncSession) -> None:
    user = await make_user(session, commit=False)
    first = await account_tokens.issue(session, user_id=user.id, purpose=RESET)
    change = await account_tokens.issue(
        session, user_id=user.id, purpose=CHANGE, new_email="new@example.test"
    )
    second = await account_tokens.issue(session, user_id=user.id, purpose=RESET)
    assert await account_tokens.consume(session, first, RESET) is None
    assert await account_tokens.consume(session, second, RESET) is not None
    pending = await account_tokens.peek(session, change, CHANGE)  # another purpose: untouched
    assert pending is not None and pending.new_email == "new@example.test"
    await account_tokens.retire(session, user_id=user.id)  # a password reset retires all
    assert await account_tokens.peek(session, change, CHANGE) is None
    for junk in ("", "x" * 500, "é" * 10, second + "x"):
        assert await account_tokens.consume(session, junk, RESET) is None


@both_dialects
async def test_two_requests_racing_with_one_link_get_it_once(
    committed_engine: AsyncEngine,
) -> None:
    async with unit_of_work() as work:
        user = await make_user(work.session, commit=False)
        secret = await account_tokens.issue(work.session, user_id=user.id, purpose=RESET)

    async def use() -> bool:
        async with unit_of_work() as work:
            return await account_tokens.consume(work.session, secret, RESET) is not None

    results = await asyncio.gather(*(use() for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
