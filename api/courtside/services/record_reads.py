"""My record's summary, profit chart and analytics from one read of the user's bets.

`betting.summary` (eight aggregates, then the wallet) and `betting.profit_series` (the settled
bets in order) were three statements for one page, and the analytics section (issue 25) read
the decided bets again with their games, then their closing lines, then the unit: all small
functions of the same rows, so the page reads the user's bets once with their games, the team
backed and the closing quotes (`analytics.bet_rows`) and computes them here, by the same
definitions. The wallet and the unit come with the page's viewer read.

The read (`record_rows`) and what is computed from it (`record_of`, a pure function of the
rows and the wallet) are apart, so that the page can remember what it computed per input
(`web.record_sections`). The page reads the rows from the cache (`record_page_reads`, the
`RECORDS` namespace: a write of bets, resets, games or odds invalidates it after its
commit), with the teams, the resets and the page of bets it opens on, in one round trip and
no statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead, get_cache
from courtside.http_cache import RECORDS
from courtside.models import BetStatus
from courtside.services import bankroll, record_lines, reference_data
from courtside.services.analytics import (
    DECIDED,
    BetRow,
    BetRowsRead,
    DecidedBet,
    bet_rows_of,
    decided_of,
    read_bet_rows,
)
from courtside.services.bankroll import ResetRow
from courtside.services.bet_record import ProfitPoint, Summary
from courtside.services.pagination import PageOf
from courtside.services.record_lines import BetLine
from courtside.services.reference_data import TeamRef
from courtside.settings import get_cache_settings


@dataclass(frozen=True)
class RecordRead:
    summary: Summary
    series: list[ProfitPoint]
    decided: list[DecidedBet]
    """The won and lost bets in settlement order, for `analytics.stats_of`."""


async def record_rows(session: AsyncSession, user_id: int) -> BetRowsRead:
    """The one statement's rows: every bet of the user with its game's tip-off, the team
    backed and, for a decided bet, its game's closing quotes (`analytics.read_bet_rows`)."""
    return await read_bet_rows(session, user_id, decided_only=False)


_TIMES = (6, 7, 14)
"""Where `record_rows`' rows hold times: the bet's settlement, its game's tip-off and its
closing quote's time (each may be None but the tip-off)."""


def rows_json(rows: BetRowsRead) -> bytes:
    """`record_rows`' rows as JSON, times in ISO 8601 with their offset."""
    return json.dumps(
        [[v.isoformat() if isinstance(v, datetime) else v for v in row] for row in rows],
        separators=(",", ":"),
    ).encode()


def rows_of(raw: bytes) -> BetRowsRead:
    """The rows `rows_json` wrote, as `record_rows` read them (values and types)."""
    rows = []
    for row in json.loads(raw):
        for index in _TIMES:
            if row[index] is not None:
                row[index] = datetime.fromisoformat(row[index])
        rows.append(tuple(row))
    return tuple(rows)


def record_rows_read(session: AsyncSession, user_id: int) -> CacheRead:
    """`record_rows` as a cache read (`Cache.get_or_build`'s arguments; `rows_of` its value),
    in `RECORDS`, which every write of bets, games and odds invalidates."""

    async def build() -> bytes:
        return rows_json(await record_rows(session, user_id))

    return RECORDS, f"rows:{user_id}", get_cache_settings().cache_ttl_seconds, build


@dataclass(frozen=True, slots=True)
class RecordPageReads:
    teams: list[TeamRef]
    rows: bytes
    """The user's rows (`record_rows`) as the cache holds them: the bytes that
    `web.record_sections` keys what it remembers by (`rows_of` reads them)."""
    resets: list[ResetRow]
    first_page: PageOf[BetLine] | None
    """The first page of bets, unfiltered and newest first, if it was asked for."""


async def record_page_reads(
    session: AsyncSession, user_id: int, *, first_page: int | None = None
) -> RecordPageReads:
    """The record page's reads from the cache, in one round trip (issue 23: a Redis read and
    two statements, ~1 ms of a 5 ms page): the teams (its filter), the user's rows, their
    bankroll resets and, with `first_page` (a page size), the page of bets the record opens
    on (`record_lines.first_page_read`)."""
    reads = [
        reference_data.teams_read(session),
        record_rows_read(session, user_id),
        bankroll.resets_read(session, user_id),
    ]
    if first_page is not None:
        reads.append(record_lines.first_page_read(session, user_id, first_page))
    found = await get_cache().get_or_build_each(reads)
    return RecordPageReads(
        teams=reference_data.teams_of(found[0][0]),
        rows=found[1][0],
        resets=bankroll.resets_of(found[2][0]),
        first_page=None if first_page is None else record_lines.lines_of(found[3][0]),
    )


def record_of(rows: BetRowsRead, *, balance_cents: int, starting_cents: int) -> RecordRead:
    """`betting.summary`, `betting.profit_series` and the analytics' decided bets of
    `record_rows`' rows."""
    bets = bet_rows_of(rows)
    summary, series = summary_and_series(
        bets, balance_cents=balance_cents, starting_cents=starting_cents
    )
    return RecordRead(summary, series, decided_of(bets))


def summary_and_series(
    rows: Sequence[BetRow], *, balance_cents: int, starting_cents: int
) -> tuple[Summary, list[ProfitPoint]]:
    """`betting.summary` and `betting.profit_series` of the user's bets."""
    counts = {status.value: 0 for status in BetStatus}
    staked = profit = open_stake = 0
    decided = []
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
        profit += row.profit_cents or 0
        if row.status in DECIDED:
            staked += row.stake_cents
            assert row.settled_at is not None
            assert row.profit_cents is not None
            decided.append((row.settled_at, row.bet_id, row.profit_cents))
        elif row.status == BetStatus.OPEN.value:
            open_stake += row.stake_cents
    summary = Summary(
        bets=len(rows),
        won=counts[BetStatus.WON.value],
        lost=counts[BetStatus.LOST.value],
        refunded=counts[BetStatus.REFUNDED.value],
        open=counts[BetStatus.OPEN.value],
        staked_cents=staked,
        profit_cents=profit,
        open_stake_cents=open_stake,
        bankroll_cents=balance_cents,
        starting_bankroll_cents=starting_cents,
    )
    points = []
    total = 0
    for settled_at, bet_id, bet_profit in sorted(decided):
        total += bet_profit
        points.append(ProfitPoint(at=settled_at, cumulative_cents=total, bet_id=bet_id))
    return summary, points
