"""The record page's bets as rows (`services.record_lines`, issue 23) are the page, total,
order and values `bet_record.list_bets` gives as ORM objects, for every status filter, a
team, a placed-from/to range, every sort (and an unknown one), a first, a middle and a past
the end page; another user's bets never show."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet
from courtside.schemas.common import PageParams
from courtside.services.bet_record import SORTS, BetFilters, list_bets
from courtside.services.record_lines import bet_lines
from tests.api.auth.helpers import make_user
from tests.helpers import both_dialects, make_game, make_teams, utc

STATUSES = (None, "open", "won", "lost", "refunded", "cancelled")
PAGES = tuple(PageParams(limit=limit, offset=offset) for limit, offset in ((5, 0), (5, 5), (50, 0),
                                                                         (5, 100)))  # fmt: skip


async def _history(session: AsyncSession) -> tuple[int, dict[str, int]]:
    teams = await make_teams(session)
    user = await make_user(session)
    other = await make_user(session)
    names = list(teams)
    start = utc(2026, 11, 1, 0, 30)
    kinds = itertools.cycle(("open", "won", "lost", "refunded", "cancelled", "won", "lost"))
    for n in range(23):
        home, away = teams[names[n % len(names)]], teams[names[(n + 1) % len(names)]]
        tip_off = start + timedelta(hours=7 * n)
        kind = next(kinds)
        final = kind in ("won", "lost")
        game = await make_game(
            session,
            home,
            away,
            tip_off,
            **({"status": "final", "home_score": 101 + n, "away_score": 99} if final else {}),
        )
        stake = 100 * (1 + n % 6)
        profit = {"won": stake // 2, "lost": -stake, "open": None}.get(kind, 0)
        settled = None if kind == "open" else tip_off + timedelta(hours=3)
        for owner in (user, other) if n % 3 == 0 else (user,):
            session.add(
                Bet(
                    user_id=owner.id,
                    game_id=game.id,
                    side="home" if n % 2 else "away",
                    stake_cents=stake,
                    odds=-110 if n % 2 else 150,
                    bookmaker=f"book<{n % 3}>",
                    odds_recorded_at=tip_off - timedelta(days=1),
                    status="refunded" if kind == "cancelled" else kind,
                    profit_cents=profit,
                    placed_at=tip_off - timedelta(hours=5 + n % 4),
                    settled_at=settled,
                    cancelled_at=settled if kind == "cancelled" else None,
                )
            )
    await session.flush()
    return user.id, {name: team.id for name, team in teams.items()}


def _expected(bet: Bet) -> tuple[object, ...]:
    game = bet.game
    return (bet.id, bet.placed_at, bet.side, bet.odds, bet.bookmaker, bet.stake_cents,
            bet.status, bet.profit_cents, bet.cancelled_at, game.id, game.status,
            game.start_time, game.home_score, game.away_score, game.home_team.abbreviation,
            game.away_team.abbreviation, bet.display_status)  # fmt: skip


@both_dialects
async def test_the_lines_are_list_bets_as_rows(session: AsyncSession) -> None:
    user_id, teams = await _history(session)
    # The page builds a viewer's range in their zone: New York's midnights are 05:00 UTC, and
    # bets fall within those five hours (on SQLite the bound must reach UTC first).
    new_york = ZoneInfo("America/New_York")
    ranges = (
        (None, None),
        (utc(2026, 11, 2), utc(2026, 11, 5, 12)),
        (datetime(2026, 11, 2, tzinfo=new_york), datetime(2026, 11, 5, tzinfo=new_york)),
    )
    checked = 0
    for status, team, (since, until), sort in itertools.product(
        STATUSES, (None, teams["BOS"]), ranges, (*SORTS, "unknown")
    ):
        filters = BetFilters(status, team, since, until, sort)
        for page in PAGES:
            expected = await list_bets(session, user_id, page, filters=filters)
            got = await bet_lines(session, user_id, page, filters)
            assert got.total == expected.total, (filters, page)
            lines = [(*(getattr(line, f) for f in line.__slots__), line.display_status)
                     for line in got.items]  # fmt: skip
            assert lines == [_expected(bet) for bet in expected.items], (filters, page)
            checked += len(lines)
    assert checked > 300  # the filters and pages were not all empty
