"""One pagination helper for every admin and account list: the same envelope, the true total
on an empty page, and no count when the first page holds the whole result."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from courtside.schemas.common import PageParams
from courtside.services import api_keys, audit, users
from courtside.services.pagination import PageOf
from tests.api.league.test_round_trips import counting


async def _make_users(session: AsyncSession, count: int) -> None:
    for number in range(count):
        await users.create_user(
            session,
            username=f"pager{number:02d}",
            email=f"pager{number:02d}@example.com",
            password="a long enough passphrase 42",
            role="Consumer",
        )


async def test_every_admin_list_answers_the_same_page_shape(session: AsyncSession) -> None:
    first = PageParams(limit=5, offset=0)
    pages = [
        await users.list_users(session, page=first),
        await api_keys.list_keys(session, page=first),
        await audit.list_events(session, page=first),
    ]
    assert all(isinstance(page, PageOf) for page in pages)


async def test_a_page_past_the_end_still_reports_the_total(session: AsyncSession) -> None:
    await _make_users(session, 3)
    found = await users.list_users(session, search="pager", page=PageParams(limit=2, offset=10))
    assert list(found.items) == []
    assert found.total == 3


async def test_a_middle_page_counts_once(session: AsyncSession, engine: AsyncEngine) -> None:
    await _make_users(session, 5)
    with counting(engine) as statements:
        found = await users.list_users(session, search="pager", page=PageParams(limit=2, offset=2))
    assert [user.username for user in found.items] == ["pager02", "pager03"]
    assert found.total == 5
    assert len(statements) == 2


@pytest.mark.parametrize("limit", [5, 10])
async def test_a_first_page_holding_everything_sends_no_count(
    session: AsyncSession, engine: AsyncEngine, limit: int
) -> None:
    await _make_users(session, 4 if limit == 5 else 9)
    with counting(engine) as statements:
        found = await users.list_users(
            session, search="pager", page=PageParams(limit=limit, offset=0)
        )
    assert found.total == len(found.items)
    assert len(statements) == 1
