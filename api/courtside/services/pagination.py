"""One pagination helper: a page of rows and the total the envelope reports.

Two ways to count, chosen by the caller for what its query returns:

- `from_window`: the query carries `count(*) OVER ()` as a column named `total`, so the page
  and its total come back in **one statement**. For result sets that are small by nature
  (a day's games, a roster, a name search): the window reads every matching row.
- `paginate`: the page, then a separate `count(*)`. For large sets where computing the window
  over every row would cost more than a second, index-only count (every player, the audit log).

Either way an empty page past the end still reports the true total. An empty *first* page
is an empty result: its total is 0 without a second statement (every day without games of
`/v1/games`), after the caller's `check` (the 404 of an unknown team).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from courtside.schemas.common import PageParams

if TYPE_CHECKING:  # SQLAlchemy is imported where a statement is built: the teams page's
    # cold miss reads a statement compiled ahead, without it (`courtside.driver_reads`)
    from sqlalchemy import Select
    from sqlalchemy.engine import Row
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

TOTAL = "total"
"""The label of the window count column of `from_window` queries."""


@dataclass(frozen=True)
class PageOf(Generic[T]):
    items: Sequence[T]
    total: int


def window_total() -> Any:
    """The `count(*) OVER ()` column `from_window` reads the total from."""
    from sqlalchemy import func  # lazy: see the imports

    return func.count().over().label(TOTAL)


Count = Callable[[], Awaitable[int]]
Check = Callable[[], Awaitable[object]]


async def from_window(
    rows: Sequence[Row[Any]], count: Count, offset: int, check: Check | None = None
) -> tuple[Sequence[Row[Any]], int]:
    """The page's rows and the total: from the rows' window column, or, when the page is
    empty, 0 at `offset` 0 (nothing matches: after `check()`) or `count()` past the end."""
    if rows:
        return rows, int(rows[0]._mapping[TOTAL])
    return rows, await _empty_total(count, offset, check)


async def from_last_column(
    rows: Sequence[Any], count: Count, offset: int, check: Check | None = None
) -> tuple[Sequence[Any], int]:
    """`from_window` for rows read by position (`courtside.prepared.fetch`): the window
    count is the statement's last column."""
    if rows:
        return rows, int(rows[0][-1])
    return rows, await _empty_total(count, offset, check)


async def _empty_total(count: Count, offset: int, check: Check | None) -> int:
    if offset > 0:
        return await count()  # past the end of a result that may not be empty
    if check is not None:
        await check()
    return 0


async def paginate(session: AsyncSession, query: Select[Any], page: PageParams) -> PageOf[Any]:
    """ORM objects of `query` for `page`, and the total from a separate count."""
    from sqlalchemy import func, select  # lazy: see the imports

    rows = (await session.scalars(query.limit(page.limit).offset(page.offset))).all()
    if page.offset == 0 and len(rows) < page.limit:
        return PageOf(items=rows, total=len(rows))  # the whole result fits this page
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return PageOf(items=rows, total=int(total or 0))
