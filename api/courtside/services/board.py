"""The games board's reads: the games of a span of days, with their teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from courtside.models import Game


async def games_between(
    session: AsyncSession, start: datetime, end: datetime, *, limit: int
) -> list[Game]:
    """Games starting in `[start, end)`, in tip-off order, teams loaded."""
    return list(
        await session.scalars(
            select(Game)
            .where(Game.start_time >= start, Game.start_time < end)
            .options(selectinload(Game.home_team), selectinload(Game.away_team))
            .order_by(Game.start_time, Game.id)
            .limit(limit)
        )
    )
