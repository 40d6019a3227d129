"""Keep a local demo season alive: `make run` refreshes a stale one, `make simulate` plays
the games that have tipped off.

    python scripts/demo_refresh.py refresh    # stale? finish, start and re-price games
    python scripts/demo_refresh.py simulate   # finalise every game that has tipped off

The demo season is generated relative to the moment it was loaded: games are final, live
or scheduled, and priced, as of then. A day later the board is stale: games that have
been played are still "scheduled" and the odds have stopped moving. `refresh` brings it
to now through the same paths the data pipeline uses: games that have finished get a
simulated final result (ingestion, which settles bets and notifies their users), games in
progress go live, and the games of the next two weeks get fresh odds snapshots and
predictions from the generator. It does nothing when the season is current. Both commands
are local only (the simulation service refuses elsewhere).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ACTOR_NAME = "demo-refresh"
STALE_AFTER = timedelta(hours=12)
"""The odds are stale once the newest snapshot is older than this (the generator's step)."""
LOAD_CHUNK = 1_000


@dataclass(frozen=True)
class Refreshed:
    finished: int
    started: int
    odds: int
    predictions: int
    bets_settled: int

    @property
    def changed(self) -> bool:
        return bool(self.finished or self.started or self.odds or self.predictions)


async def is_stale(session: AsyncSession, now: datetime) -> bool:
    """Whether games that have tipped off are still scheduled, or the odds stopped moving."""
    from sqlalchemy import func, select

    from courtside.models import Game, GameStatus, OddsSnapshot

    waiting = await session.scalar(
        select(func.count(Game.id)).where(
            Game.status == GameStatus.SCHEDULED.value, Game.start_time <= now
        )
    )
    newest = await session.scalar(select(func.max(OddsSnapshot.recorded_at)))
    return bool(waiting) or (newest is not None and newest < now - STALE_AFTER)


async def _ingest(dataset: str, records: list[dict[str, Any]], actor: Any) -> int:
    from courtside.schemas.ingest import Dataset
    from courtside.services.ingest import ingest
    from courtside.unit_of_work import unit_of_work

    written = 0
    for start in range(0, len(records), LOAD_CHUNK):
        async with unit_of_work() as work:
            result = await ingest(
                work.session, Dataset(dataset), records[start : start + LOAD_CHUNK], actor=actor
            )
        written += result.inserted + result.updated
    return written


async def refresh(*, now: datetime | None = None, seed: int | None = None) -> Refreshed | None:
    """Bring a stale demo season up to `now`; None when it was current already."""
    from sqlalchemy import select

    from courtside.models import Game, GameStatus
    from courtside.services.audit import Actor
    from courtside.services.simulation import simulate_results
    from courtside.unit_of_work import unit_of_work
    from scripts.demo_data import DEFAULT_SEED, GAME_LENGTH, generate_season, live_progress

    now = now or datetime.now(UTC)
    actor = Actor("system", None, ACTOR_NAME)
    async with unit_of_work() as work:
        if not await is_stale(work.session, now):
            return None
    async with unit_of_work() as work:
        done = await simulate_results(work.session, actor=actor, started_before=now - GAME_LENGTH)
    async with unit_of_work() as work:
        playing = list(
            await work.session.scalars(
                select(Game).where(
                    Game.status == GameStatus.SCHEDULED.value, Game.start_time <= now
                )
            )
        )
        scheduled = set(
            await work.session.scalars(
                select(Game.external_id).where(
                    Game.status == GameStatus.SCHEDULED.value, Game.start_time > now
                )
            )
        )
        teams = await _abbreviations(work.session)
    live = [
        {
            "external_id": game.external_id,
            "season": game.season,
            "start_time": game.start_time.isoformat(),
            "home_team": teams[game.home_team_id],
            "away_team": teams[game.away_team_id],
            "status": GameStatus.LIVE.value,
            **live_progress(game.external_id, game.start_time, now),
        }
        for game in playing
    ]
    started = await _ingest("games", live, actor) if live else 0
    season = generate_season(seed=DEFAULT_SEED if seed is None else seed, now=now)
    odds = [record for record in season.odds if record["game"] in scheduled]
    predictions = [record for record in season.predictions if record["game"] in scheduled]
    return Refreshed(
        finished=done.games,
        started=started,
        odds=await _ingest("odds", odds, actor) if odds else 0,
        predictions=await _ingest("predictions", predictions, actor) if predictions else 0,
        bets_settled=done.bets_settled,
    )


async def _abbreviations(session: AsyncSession) -> dict[int, str]:
    from sqlalchemy import select

    from courtside.models import Team

    return dict((await session.execute(select(Team.id, Team.abbreviation))).all())


async def simulate(*, now: datetime | None = None) -> tuple[int, int]:
    """Finalise every game that has tipped off; (games, bets settled)."""
    from courtside.services.audit import Actor
    from courtside.services.simulation import simulate_results
    from courtside.unit_of_work import unit_of_work

    async with unit_of_work() as work:
        done = await simulate_results(
            work.session, actor=Actor("system", None, ACTOR_NAME), now=now
        )
    return done.games, done.bets_settled


def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("refresh", "simulate"))
    args = parser.parse_args(argv)

    async def run() -> str:
        from courtside.db import dispose_engine
        from courtside.observability import configure_logging
        from courtside.settings import get_app_settings

        # The app's JSON log lines, as under uvicorn: a settlement's e-mail on the `log`
        # backend is a log line, which went nowhere without a handler.
        configure_logging(get_app_settings().log_level)
        try:
            if args.command == "simulate":
                games, settled = await simulate()
                return f"simulated results: {games} games final, {settled} bets settled"
            result = await refresh()
        finally:
            await dispose_engine()
        if result is None:
            return "demo season is current"
        return (
            f"demo season refreshed: {result.finished} games final ({result.bets_settled} bets "
            f"settled), {result.started} live, {result.odds} odds snapshots, "
            f"{result.predictions} predictions"
        )

    print(asyncio.run(run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
