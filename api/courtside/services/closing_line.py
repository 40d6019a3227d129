"""The line a game closed at: its market as it stood at tip-off.

Once a game has started, the pages show the last pre-game line (every bookmaker's newest
quote recorded at or before tip-off, and the best price per side, by the same rules as
`markets.markets`), so the price the bets were placed at stays visible during and after
the game, even if a pipeline keeps sending in-play quotes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import BetSide, Game, OddsSnapshot
from courtside.services.markets import Market, best_price


async def closing_markets(session: AsyncSession, games: Sequence[Game]) -> dict[int, Market]:
    """Each game's market at its tip-off. Games without a pre-game quote are absent."""
    if not games:
        return {}
    ranked = (
        select(
            OddsSnapshot.id,
            func.row_number()
            .over(
                partition_by=(OddsSnapshot.game_id, OddsSnapshot.bookmaker),
                order_by=(OddsSnapshot.recorded_at.desc(), OddsSnapshot.id.desc()),
            )
            .label("rank"),
        )
        .join(Game, Game.id == OddsSnapshot.game_id)
        .where(
            OddsSnapshot.game_id.in_([game.id for game in games]),
            OddsSnapshot.recorded_at <= Game.start_time,
        )
        .subquery()
    )
    rows = await session.scalars(
        select(OddsSnapshot)
        .join(ranked, OddsSnapshot.id == ranked.c.id)
        .where(ranked.c.rank == 1)
        .order_by(OddsSnapshot.game_id, OddsSnapshot.bookmaker)
    )
    by_game: dict[int, list[OddsSnapshot]] = defaultdict(list)
    for row in rows:
        by_game[row.game_id].append(row)
    return {
        game_id: Market(
            quotes=quotes,
            home=best_price(quotes, BetSide.HOME),
            away=best_price(quotes, BetSide.AWAY),
        )
        for game_id, quotes in by_game.items()
    }
