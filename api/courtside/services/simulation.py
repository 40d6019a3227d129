"""Simulated results for a local run: games that have tipped off become final, through the
same ingestion path the data pipeline uses (validation, the final-result lock, settlement
of bets and their notifications, cache invalidation), so a user sees bets settle.

Local only: the admin action and `make simulate` refuse outside ENVIRONMENT=local. A
game's score is drawn from a generator seeded by its external id, so a result is the same
however often it is simulated (and ingestion would refuse a different one anyway).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from courtside.domain_errors import Forbidden
from courtside.models import Game, GameStatus, Prediction, utcnow
from courtside.schemas.ingest import Dataset
from courtside.services import audit
from courtside.services.ingest import ingest
from courtside.settings import get_app_settings

MAX_GAMES = 500
"""Games finalised per call (a batch well under the ingestion limit)."""


@dataclass(frozen=True)
class Simulated:
    games: int
    bets_settled: int


def check_local() -> None:
    if not get_app_settings().is_local:
        raise Forbidden(
            "local_only", "Simulated results exist only in a local run (ENVIRONMENT=local)."
        )


def final_score(external_id: str, home_win_probability: float) -> tuple[int, int]:
    """A plausible final score (home, away), the same for the same game every time."""
    rng = random.Random(f"courtside-simulated-result:{external_id}")  # noqa: S311 (no secret)
    home_wins = rng.random() < home_win_probability
    winner = rng.randint(98, 128)
    loser = winner - rng.randint(1, 18)
    return (winner, loser) if home_wins else (loser, winner)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def simulate_results(
    session: AsyncSession,
    *,
    actor: audit.Actor,
    now: datetime | None = None,
    started_before: datetime | None = None,
) -> Simulated:
    """Finalise every scheduled or live game that tipped off before `started_before`
    (default: now), oldest first."""
    check_local()
    now = started_before or now or utcnow()
    games = list(
        await session.scalars(
            select(Game)
            .where(
                Game.status.in_([GameStatus.SCHEDULED.value, GameStatus.LIVE.value]),
                Game.start_time <= now,
            )
            .options(selectinload(Game.home_team), selectinload(Game.away_team))
            .order_by(Game.start_time, Game.id)
            .limit(MAX_GAMES)
        )
    )
    if not games:
        return Simulated(0, 0)
    probabilities = dict(
        (
            await session.execute(
                select(Prediction.game_id, Prediction.home_win_probability)
                .where(Prediction.game_id.in_([game.id for game in games]))
                .order_by(Prediction.created_at, Prediction.id)
            )
        ).all()
    )
    records = []
    for game in games:
        home, away = final_score(game.external_id, probabilities.get(game.id, 0.55))
        records.append(
            {
                "external_id": game.external_id,
                "season": game.season,
                "start_time": _iso(game.start_time),
                "home_team": game.home_team.abbreviation,
                "away_team": game.away_team.abbreviation,
                "status": GameStatus.FINAL.value,
                "home_score": home,
                "away_score": away,
            }
        )
    result = await ingest(session, Dataset.GAMES, records, actor=actor)
    return Simulated(len(records), result.bets_settled or 0)
