"""A page of my record's bets as plain rows (`BetLine`), for the record page's table.

`bet_record.list_bets` loads `Bet` objects with their game and both teams (four ORM objects
a bet, into the session's identity map) and builds its statement per request; the table
only reads a dozen columns (`web.record_rows`). This reads the same page, with the same
filters, order and total as `list_bets` (`tests/api/betting/test_record_lines.py` compares
them), as rows from a statement built once per shape of the filters, their values bound
as parameters (issue 23). The public API (`/v1/me/bets`) keeps `list_bets` and its models.

The page the record opens on (no filter, newest first, the first page) is also a cache entry
(`first_page_read`, in the `RECORDS` namespace with the record's other reads: every write of
bets or games invalidates it after its commit), so that the page's usual view reads it with
its other reads in one round trip instead of sending this statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from courtside.cache import CacheRead
from courtside.http_cache import RECORDS
from courtside.models import Bet, BetStatus, Game, Team
from courtside.schemas.common import PageParams
from courtside.services.bet_record import SORTS, BetFilters
from courtside.services.page_reads import read_columns
from courtside.services.pagination import PageOf
from courtside.settings import get_cache_settings


@dataclass(frozen=True, slots=True)
class BetLine:
    """One bet of the record's table with what it shows of its game."""

    id: int
    placed_at: datetime
    side: str
    odds: int
    bookmaker: str
    stake_cents: int
    status: str
    profit_cents: int | None
    cancelled_at: datetime | None
    game_id: int
    game_status: str
    start_time: datetime
    home_score: int | None
    away_score: int | None
    home: str
    """The home team's abbreviation."""
    away: str

    @property
    def display_status(self) -> str:
        """`cancelled` for a bet its user cancelled, else the status (as `Bet`'s)."""
        return "cancelled" if self.cancelled_at is not None else self.status


def _status_kind(status: str | None) -> str | None:
    if status in (None, "cancelled", BetStatus.REFUNDED.value):
        return status
    return "other"


@cache
def _statements(
    sort: str, status: str | None, team: bool, since: bool, until: bool
) -> tuple[Select[Any], Select[Any]]:
    """The page's statement and its count, for one shape of the filters (`status` is
    None, `cancelled`, `refunded` or `other`: at most 4 x 4 x 8 shapes). Parameters: `user`,
    `status` (other), `team`, `since`, `until`, `limit`, `offset`."""
    home, away = aliased(Team), aliased(Team)
    columns: tuple[Any, ...] = (
        Bet.id,
        Bet.placed_at,
        Bet.side,
        Bet.odds,
        Bet.bookmaker,
        Bet.stake_cents,
        Bet.status,
        Bet.profit_cents,
        Bet.cancelled_at,
        Game.id,
        Game.status,
        Game.start_time,
        Game.home_score,
        Game.away_score,
        home.abbreviation,
        away.abbreviation,
    )
    query: Select[Any] = (
        select(*columns)
        .join(Game, Game.id == Bet.game_id)
        .join(home, home.id == Game.home_team_id)
        .join(away, away.id == Game.away_team_id)
        .where(Bet.user_id == bindparam("user", type_=Integer))
    )
    if status == "cancelled":
        query = query.where(Bet.cancelled_at.is_not(None))
    elif status == BetStatus.REFUNDED.value:
        query = query.where(Bet.status == BetStatus.REFUNDED.value, Bet.cancelled_at.is_(None))
    elif status is not None:
        query = query.where(Bet.status == bindparam("status", type_=String))
    if team:
        team_id = bindparam("team", type_=Integer)
        either = (Game.home_team_id == team_id) | (Game.away_team_id == team_id)
        query = query.where(Bet.game_id.in_(select(Game.id).where(either)))
    if since:
        query = query.where(Bet.placed_at >= bindparam("since", type_=Bet.placed_at.type))
    if until:
        query = query.where(Bet.placed_at < bindparam("until", type_=Bet.placed_at.type))
    count: Select[Any] = select(func.count()).select_from(query.subquery())
    page = (
        query.order_by(*SORTS[sort])
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return page, count


async def bet_lines(
    session: AsyncSession, user_id: int, page: PageParams, filters: BetFilters
) -> PageOf[BetLine]:
    """`bet_record.list_bets(session, user_id, page, filters=filters)` as rows."""
    sort = filters.sort if filters.sort in SORTS else "newest"
    kind = _status_kind(filters.status)
    statement, count = _statements(
        sort,
        kind,
        filters.team_id is not None,
        filters.placed_from is not None,
        filters.placed_to is not None,
    )
    values: dict[str, Any] = {"user": user_id}
    if kind == "other":
        values["status"] = filters.status
    if filters.team_id is not None:
        values["team"] = filters.team_id
    if filters.placed_from is not None:
        values["since"] = filters.placed_from
    if filters.placed_to is not None:
        values["until"] = filters.placed_to
    rows = (
        await read_columns(
            session, statement, {**values, "limit": page.limit, "offset": page.offset}
        )
    ).all()
    lines = [BetLine(*row) for row in rows]
    if page.offset == 0 and len(lines) < page.limit:
        return PageOf(items=lines, total=len(lines))  # the whole result fits this page
    total = (await read_columns(session, count, values)).scalar()
    return PageOf(items=lines, total=int(total or 0))


_LINE_TIMES = (1, 8, 11)
"""Where a `BetLine`'s fields hold times: placed, cancelled (may be None) and its tip-off."""


def lines_json(page: PageOf[BetLine]) -> bytes:
    """A page of lines and its total as JSON, times in ISO 8601 with their offset."""
    items = [
        [v.isoformat() if isinstance(v, datetime) else v for v in _fields(line)]
        for line in page.items
    ]
    return json.dumps({"items": items, "total": page.total}, separators=(",", ":")).encode()


def _fields(line: BetLine) -> list[Any]:
    return [getattr(line, name) for name in BetLine.__slots__]


def lines_of(raw: bytes) -> PageOf[BetLine]:
    """The page `lines_json` wrote, as `bet_lines` read it (values and types)."""
    decoded = json.loads(raw)
    items = []
    for values in decoded["items"]:
        for index in _LINE_TIMES:
            if values[index] is not None:
                values[index] = datetime.fromisoformat(values[index])
        items.append(BetLine(*values))
    return PageOf(items=items, total=decoded["total"])


def first_page_read(session: AsyncSession, user_id: int, limit: int) -> CacheRead:
    """The record's first page of `limit` bets, unfiltered and newest first, with their total
    (`bet_lines`) as a cache read (`lines_of` its value), in `RECORDS`."""

    async def build() -> bytes:
        page = PageParams(limit=limit, offset=0)
        return lines_json(await bet_lines(session, user_id, page, BetFilters()))

    ttl = get_cache_settings().cache_ttl_seconds
    return RECORDS, f"lines:{user_id}:{limit}", ttl, build
