"""The game page's odds history read as plain rows (`board.odds_history_read` caches
`closing_line.QuoteRow`s as JSON, issue 23) instead of `OddsSnapshot` objects: the same
snapshots with the same values and types, in the same order, and everything the page builds
from them (the market, the four windowed statistics, the chart and its SVG) equal to what
the ORM objects gave, over the closing-line edge cases, at moments before, at and after each
game's tip-off, on both dialects. Over the demo season:
tests/api/demo_season/test_odds_history.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Game, OddsSnapshot
from courtside.services import board
from courtside.services.closing_line import QuoteRow, market_from_history
from courtside.services.game_rows import GameRow
from courtside.services.markets import Market, Quote
from courtside.services.odds_movement import DEVIATIONS, WINDOWS
from courtside.services.odds_windows import overall_statistic
from courtside.web.chart_html import odds_chart_html
from courtside.web.charts import odds_chart
from courtside.web.odds_section import STATISTICS
from tests.api.betting.test_closing_lateral import NOW, _edge_cases
from tests.helpers import both_dialects, make_odds

FIELDS = ("id", "game_id", "bookmaker", "home_odds", "away_odds", "recorded_at")
ZONES = (ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"))


def _fields(quote: Quote) -> tuple[Any, ...]:
    values = tuple(getattr(quote, name) for name in FIELDS)
    return (*values, *(type(value) for value in values), quote.recorded_at.utcoffset())


def _market(market: Market | None) -> Any:
    if market is None:
        return None
    return [_fields(q) for q in market.quotes], market.home, market.away


async def _orm_history(session: AsyncSession, game_id: int) -> list[OddsSnapshot]:
    """What `odds_history` returned before: the snapshots as ORM objects."""
    return list(
        await session.scalars(
            select(OddsSnapshot)
            .where(OddsSnapshot.game_id == game_id)
            .order_by(OddsSnapshot.recorded_at, OddsSnapshot.bookmaker)
        )
    )


async def _history(session: AsyncSession, game_id: int) -> list[QuoteRow]:
    """What the game page reads: the cache entry `board.odds_history_read` builds, read back."""
    return board.history_of(await board.odds_history_read(session, game_id)[3]())


async def _compare(session: AsyncSession, games: list[GameRow]) -> int:
    """Asserts rows and objects give the same page pieces for each game; the quotes seen."""
    seen = 0
    for game in games:
        objects = await _orm_history(session, game.id)
        rows = await _history(session, game.id)
        assert [_fields(q) for q in rows] == [_fields(q) for q in objects], game.id
        seen += len(rows)
        moments = [game.start_time + timedelta(minutes=m) for m in (-600, -1, 0, 1, 60 * 30)]
        for now in (*moments, NOW):
            assert _market(market_from_history(game, rows, now)) == _market(
                market_from_history(game, objects, now)
            ), (game.id, now)
            for _, kind in STATISTICS:
                start, deviation = now - WINDOWS[kind], kind in DEVIATIONS
                windowed = [[q for q in quotes if start < q.recorded_at <= now]
                            for quotes in (rows, objects)]  # fmt: skip
                assert overall_statistic(windowed[0], deviation=deviation) == overall_statistic(
                    windowed[1], deviation=deviation
                )
        for zone in ZONES:
            chart = odds_chart(rows, zone, home=game.home_team.abbreviation)
            assert chart == odds_chart(objects, zone, home=game.home_team.abbreviation)
            if chart is not None:
                assert odds_chart_html(chart) == odds_chart_html(
                    odds_chart(objects, zone, home=game.home_team.abbreviation)  # type: ignore[arg-type]
                )
    return seen


async def _games(session: AsyncSession) -> list[GameRow]:
    return [slate.games[0] for slate in [await board.game_slate(session, game_id) for game_id in
            await session.scalars(select(Game.id).order_by(Game.id))]]  # fmt: skip


@both_dialects
async def test_rows_and_objects_give_the_same_game_page_pieces(session: AsyncSession) -> None:
    await _edge_cases(session)
    games = await _games(session)
    # the open game: a week of quotes from two books, one a second apart
    busy = await session.get_one(Game, games[-1].id)
    for hours in range(0, 24 * 8, 7):
        at = busy.start_time - timedelta(hours=hours, seconds=hours % 2)
        await make_odds(session, busy, -110 - hours, 100 + hours, at, bookmaker="b")
        await make_odds(session, busy, -105 - hours, 105 + hours, at, bookmaker="c")
    await session.flush()
    assert await _compare(session, games) > 40
