"""Credentials for the ingestion tests: API keys of each scope and user tokens."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import ApiScope, AuditEvent, User
from courtside.services import audit
from courtside.services.api_keys import create_key

_seq = itertools.count(1)


async def api_key_headers(session: AsyncSession, scope: ApiScope, name: str) -> dict[str, str]:
    _row, secret = await create_key(session, name=name, scope=scope, actor=audit.SYSTEM)
    await session.commit()
    return {"X-API-Key": secret}


async def user_headers(session: AsyncSession, role: str) -> dict[str, str]:
    from courtside.auth.tokens import issue_token

    n = next(_seq)
    user = User(
        username=f"ingest-user{n}",
        email=f"ingest-user{n}@example.com",
        password_hash="not-a-real-hash",
        role=role,
    )
    session.add(user)
    await session.commit()
    issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
async def write_key(session: AsyncSession) -> dict[str, str]:
    return await api_key_headers(session, ApiScope.WRITE, "pipeline")


@pytest.fixture
async def read_key(session: AsyncSession) -> dict[str, str]:
    return await api_key_headers(session, ApiScope.READ, "reader")


@pytest.fixture
async def admin(session: AsyncSession) -> dict[str, str]:
    return await user_headers(session, "Admin")


@pytest.fixture
async def consumer(session: AsyncSession) -> dict[str, str]:
    return await user_headers(session, "Consumer")


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def ingest_events(session: AsyncSession) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("ingest.%"))
        .order_by(AuditEvent.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)
