"""Per-request figures for the capacity model: app time, database time and statements.

    .venv/bin/python scripts/bench/capacity.py [--rounds 7] [--requests 150]

The app runs in this process (ASGI, as Mangum drives it) on a PostgreSQL database and a Redis
key prefix of its own (BENCH_DATABASE_URL, BENCH_REDIS_URL), with four teams, twenty games
today with lines and one signed-in user. For each kind of request the capacity model
(scripts/capacity_model.py, docs/capacity.md) prices, it measures the median time the app
spends (what Lambda bills), the time spent in database statements (round trip included:
what the writer or a reader is busy with, an upper bound on its server time) and the number of
statements. The floor is a bare FastAPI app answering a constant, interleaved with the project
round by round (A B A B), so a busy machine shows in the ratio; the load average is printed.

The figures are written to scripts/bench/capacity_figures.json, which the model reads:
re-run this, then `scripts/capacity_model.py --write`, to refresh docs/capacity.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "api"))

from common import DEFAULT_POSTGRES, Figure, _admin, _admin_url, load_average, median, redis_url

FIGURES_FILE = Path(__file__).resolve().parent / "capacity_figures.json"
KINDS = ("public_hit", "public_miss", "signed_in_read", "bet_placement")
"""The kinds of request the model prices (docs/capacity.md: the mix)."""


class StatementClock:
    """Counts statements and their time on an engine (SQLAlchemy cursor events)."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started: list[float] = []

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        self.statements += 1
        self.seconds += time.perf_counter() - self._started.pop()


async def _seed(url: str, bettors: int) -> tuple[list[dict[str, str]], list[int], str]:
    """Teams, twenty games six hours from now with lines, `bettors` users; their bearer
    headers, the games' ids and the league day of the first game (a user may bet once per
    game: each placement is a new pair). The day is the games', not today: in the league's
    evening six hours later is tomorrow, and a day without the games made the public miss
    read an empty page (2 statements instead of 1 from 18:00 New York time)."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from courtside import db
    from courtside.models import utcnow
    from courtside.services.league_calendar import league_today, local_day_bounds
    from courtside.settings import get_app_settings, get_database_settings
    from tests.api.auth.helpers import make_user, user_headers
    from tests.helpers import make_game, make_odds, make_teams

    engine = db.build_engine(get_database_settings(), url=url, bounded=False)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            teams = list((await make_teams(session)).values())
            zone = get_app_settings().zone
            today = league_today(zone)
            start, _ = local_day_bounds(today, zone)
            games = []
            for n in range(20):
                home, away = teams[n % 4], teams[(n + 1) % 4]
                later = max(start, utcnow()) + timedelta(hours=6, minutes=n)
                game = await make_game(session, home, away, later)
                await make_odds(session, game, -150, 130, utcnow() - timedelta(hours=1))
                games.append(game)
            users = [await make_user(session) for _ in range(bettors)]
            await session.commit()
            day = games[0].start_time.astimezone(zone).date()
            return [user_headers(u) for u in users], [g.id for g in games], day.isoformat()
    finally:
        await engine.dispose()


def _floor_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.get("/{path:path}")
    async def constant(path: str) -> JSONResponse:
        return JSONResponse({"items": [], "path": path})

    return app


async def _measure(url: str, rounds: int, requests: int) -> dict[str, Any]:
    import httpx

    from courtside import cache as cache_module
    from courtside import db
    from courtside.http_cache import SCHEDULE
    from courtside.main import create_app
    from courtside.settings import get_cache_settings, get_database_settings, reset_settings

    bettors, game_ids, day = await _seed(url, -(-rounds * requests // 20))
    headers = bettors[0]
    pairs = iter([(b, g) for b in bettors for g in game_ids])
    engine = db.build_engine(get_database_settings(), url=url)
    db.use_engine(engine)
    clock = StatementClock()
    clock.attach(engine)
    cache = cache_module.build_cache(get_cache_settings())
    cache.prefix = f"courtside-bench-capacity-{uuid.uuid4().hex[:8]}"
    cache_module.use_cache(cache)
    reset_settings()
    app_transport = httpx.ASGITransport(app=create_app())
    floor_transport = httpx.ASGITransport(app=_floor_app())

    async def invalidate() -> None:
        await cache.invalidate(SCHEDULE)

    async def nothing() -> None:
        return None

    Request = tuple[dict[str, Any] | None, dict[str, str]]

    def same(body: dict[str, Any] | None, extra: dict[str, str]) -> Callable[[], Request]:
        return lambda: (body, extra)

    def next_bet() -> Request:
        bettor, game = next(pairs)
        return {"game_id": game, "side": "home", "stake": 1}, bettor

    plans: dict[str, tuple[str, str, Callable[[], Request], Callable[[], Awaitable[None]]]] = {
        "public_hit": ("GET", "/v1/teams", same(None, {}), nothing),
        "public_miss": ("GET", f"/v1/games?date={day}", same(None, {}), invalidate),
        "signed_in_read": ("GET", "/v1/me/bets", same(None, headers), nothing),
        "bet_placement": ("POST", "/v1/me/bets", next_bet, nothing),
    }
    samples: dict[str, dict[str, list[float]]] = {
        kind: {"app": [], "floor": [], "db": [], "statements": []} for kind in KINDS
    }
    async with (
        httpx.AsyncClient(transport=app_transport, base_url="http://bench") as app,
        httpx.AsyncClient(transport=floor_transport, base_url="http://bench") as floor,
    ):
        await app.get("/v1/teams")  # warm: route groups, the engine, the cache entry
        for _ in range(rounds):
            for kind, (method, path, make, before) in plans.items():
                for client, column in ((floor, "floor"), (app, "app")):  # A B, round by round
                    for _ in range(requests):
                        body, extra = make() if column == "app" else (None, {})
                        if column == "app":
                            await before()
                        statements, seconds = clock.statements, clock.seconds
                        started = time.perf_counter()
                        response = await client.request(
                            method if column == "app" else "GET", path, json=body, headers=extra
                        )
                        elapsed = time.perf_counter() - started
                        if column == "app":
                            assert response.status_code in (200, 201), (kind, response.text)
                            samples[kind]["db"].append(clock.seconds - seconds)
                            samples[kind]["statements"].append(clock.statements - statements)
                        samples[kind][column].append(elapsed)
    await cache.close()
    cache_module.use_cache(None)
    await engine.dispose()
    return {
        kind: {
            "app_ms": round(median(values["app"]) * 1000, 3),
            "floor_ms": round(median(values["floor"]) * 1000, 3),
            "db_ms": round(median(values["db"]) * 1000, 3),
            "statements": median(values["statements"]),
        }
        for kind, values in samples.items()
    }


def measure(rounds: int = 7, requests: int = 150) -> list[Figure]:
    """Run the measurement in a database of its own, write the figures, return the lines."""
    os.environ.setdefault("REDIS_URL", redis_url())
    os.environ.setdefault("ENVIRONMENT", "local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    server = os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    name = f"courtside_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    before = load_average()
    try:
        url = _admin_url(server, name).replace("postgresql://", "postgresql+asyncpg://", 1)
        from courtside.migrate import upgrade

        upgrade(url)
        figures = asyncio.run(_measure(url, rounds, requests))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    data = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
    data.update(
        measured_at=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        python=sys.version.split()[0],
        load_average={"before": before, "after": load_average()},
        rounds=rounds,
        requests_per_round=requests,
        figures=figures,
    )  # the load run's section ("load_run", load_run.py) is kept
    FIGURES_FILE.write_text(json.dumps(data, indent=2) + "\n")
    return [
        Figure(
            name=f"capacity: {kind.replace('_', ' ')}",
            floor=values["floor_ms"] * 1000,
            project=values["app_ms"] * 1000,
            unit="us",
            goal="report",
            ratio=values["app_ms"] / values["floor_ms"],
            note=f"database {values['db_ms'] * 1000:.0f} us in {values['statements']:g} "
            "statement(s)",
        )
        for kind, values in figures.items()
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=150)
    args = parser.parse_args()
    print(load_average())
    for figure in measure(args.rounds, args.requests):
        print(figure.line())
    print(load_average())
    print(f"written: {FIGURES_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
