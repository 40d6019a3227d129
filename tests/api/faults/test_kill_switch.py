"""Switching betting off holds on every instance at once, even while Redis hangs.

Two app instances (two uvicorn processes: two caches, nothing shared in memory) on one
PostgreSQL database and one redis-server of this test's own. Bets stream into instance B
while Redis is frozen (SIGSTOP) and an Admin switches `betting_open` off on instance A: A's
invalidation of the flags cache cannot reach Redis. When Redis answers again it still holds
the flags as B cached them before ("open"). No bet sent after A confirmed the change may be
accepted, during the outage or after it, and A's lost invalidation must reach Redis without A
serving another request (B's board shows betting closed again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from courtside.models import Bet, FeatureFlag, utcnow
from tests.api.auth.helpers import make_user, user_headers
from tests.helpers import make_game, make_odds, make_teams
from tests.servers import AppInstance, OwnRedis

pytestmark = pytest.mark.postgres_only

A_RETRY_WINDOW = 2.5  # REDIS_RETRY_AFTER_FAILURE_SECONDS of A: its lost invalidation waits
B_RETRY_WINDOW = 0.2  # of B: back on Redis (and its stale flags) at once
GAMES = 400
BETTORS = 4
FROZEN_SECONDS = 2.0
AFTER_SECONDS = 2.0
MAX_ATTEMPTS = 4000
FLAGS_VERSION_KEY = "courtside:{flags}:v"


@pytest.fixture
async def instances(
    postgres_url: str, own_redis: OwnRedis, committed_engine: AsyncEngine, tmp_path: Path
) -> AsyncIterator[tuple[str, str]]:
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": own_redis.url,
        "REDIS_SOCKET_TIMEOUT_SECONDS": "0.25",
        "CACHE_PREFIX": "courtside",
    }
    windows = {"a": A_RETRY_WINDOW, "b": B_RETRY_WINDOW}
    started = await asyncio.gather(
        *(
            asyncio.to_thread(
                AppInstance,
                {**env, "REDIS_RETRY_AFTER_FAILURE_SECONDS": str(window)},
                tmp_path / f"{name}.log",
            )
            for name, window in windows.items()
        )
    )
    try:
        yield started[0].base, started[1].base
    finally:
        for instance in started:
            instance.stop()


@dataclass
class Attempt:
    sent: float
    status: int | None
    code: str | None


async def test_no_bet_is_accepted_after_betting_is_switched_off_while_redis_hangs(
    instances: tuple[str, str], own_redis: OwnRedis, committed_engine: AsyncEngine
) -> None:
    a, b = instances
    async with AsyncSession(committed_engine, expire_on_commit=False) as session:
        admin = await make_user(session, role="Admin")
        bettors = [await make_user(session) for _ in range(BETTORS)]
        teams = list((await make_teams(session)).values())
        game_ids = []
        for n in range(GAMES):
            start = utcnow() + timedelta(days=1, minutes=n)
            game = await make_game(session, teams[n % 4], teams[(n + 1) % 4], start)
            await make_odds(session, game, -150, 130, utcnow() - timedelta(hours=1))
            game_ids.append(game.id)
        session.add(FeatureFlag(name="betting_open", enabled=True))
        await session.commit()

    async with httpx.AsyncClient(base_url=b, timeout=10) as board:
        page = await board.get("/")  # B caches the flags ("open") in Redis
        assert page.status_code == 200 and 'data-testid="betting-closed"' not in page.text
    version_before = own_redis.cli("GET", FLAGS_VERSION_KEY).strip()
    assert version_before

    attempts: list[Attempt] = []
    begin = time.monotonic()
    hard_stop = begin + 60  # a bound whatever happens; the admin's task ends the run
    done = asyncio.Event()
    switched_off_at: list[float] = []
    thawed_at: list[float] = []
    queue = list(game_ids)

    async def bettor(number: int) -> None:
        headers = user_headers(bettors[number])
        async with httpx.AsyncClient(base_url=b, timeout=10, headers=headers) as http:
            while (
                queue
                and not done.is_set()
                and time.monotonic() < hard_stop
                and len(attempts) < MAX_ATTEMPTS
            ):
                game_id = queue.pop()
                sent = time.monotonic() - begin
                body = {"game_id": game_id, "side": "home", "stake": "0.01"}
                try:
                    response = await http.post("/v1/me/bets", json=body)
                except httpx.HTTPError:
                    attempts.append(Attempt(sent, None, None))
                    continue
                code = None if response.status_code == 201 else response.json()["error"]["code"]
                attempts.append(Attempt(sent, response.status_code, code))
                if response.status_code != 201:
                    queue.insert(0, game_id)  # still free to bet on
                await asyncio.sleep(0.01)

    async def until(condition: Callable[[], bool], at_least: float = 0.0) -> None:
        """At least `at_least` seconds, then until `condition()` holds (or the hard stop)."""
        start = time.monotonic()
        while time.monotonic() < hard_stop:
            if time.monotonic() - start >= at_least and condition():
                return
            await asyncio.sleep(0.05)

    def now() -> float:
        return time.monotonic() - begin

    async def admin_switches_off() -> None:
        # Once a bet sent half a second ago or earlier was accepted, the "before" is seen.
        await until(lambda: any(t.status == 201 and t.sent < now() - 0.5 for t in attempts))
        own_redis.pause()
        try:
            async with httpx.AsyncClient(base_url=a, timeout=10) as http:
                response = await http.patch(
                    "/v1/admin/flags/betting_open",
                    json={"enabled": False},
                    headers=user_headers(admin),
                )
            assert response.status_code == 200, response.text
            off = now()
            switched_off_at.append(off)
            await until(lambda: len([t for t in attempts if t.sent > off]) > 10, FROZEN_SECONDS)
            thawed_at.append(now())
        finally:
            own_redis.resume()
        try:
            # B reads Redis again (A serves nothing): until B has refused a bet sent after
            # the thaw, and more than 20 were tried after the switch.
            await until(
                lambda: (
                    len([t for t in attempts if t.sent > off]) > 20
                    and any(t.sent > thawed_at[0] and t.code == "betting_closed" for t in attempts)
                ),
                AFTER_SECONDS,
            )
        finally:
            done.set()

    await asyncio.gather(admin_switches_off(), *(bettor(n) for n in range(BETTORS)))

    assert switched_off_at, "the flag was not switched"
    off = switched_off_at[0]
    before = [t for t in attempts if t.sent < off - 0.5]
    after = [t for t in attempts if t.sent > off]
    assert any(t.status == 201 for t in before), "no bet was accepted before the switch"
    assert len(after) > 20, "too few bets were tried after the switch"
    assert all(t.status in (201, 409, 503) for t in attempts), attempts
    late = [t for t in after if t.status == 201]
    assert late == [], f"{len(late)} bets accepted after betting was switched off: {late[:3]}"
    assert thawed_at, "Redis was not thawed"
    assert any(t.sent > thawed_at[0] for t in after if t.code == "betting_closed")

    async with AsyncSession(committed_engine) as session:
        stored = await session.scalar(select(func.count()).select_from(Bet))
    assert stored == sum(1 for t in attempts if t.status == 201)

    # A's invalidation was lost while Redis hung; it reaches Redis without A serving a
    # request, so B's board (which reads the cached flags) says betting is closed again.
    deadline = time.monotonic() + 2 * A_RETRY_WINDOW + 5
    while own_redis.cli("GET", FLAGS_VERSION_KEY).strip() == version_before:
        assert time.monotonic() < deadline, "A's invalidation never reached Redis"
        await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=b, timeout=10) as board:
        page = await board.get("/")
    assert 'data-testid="betting-closed"' in page.text
