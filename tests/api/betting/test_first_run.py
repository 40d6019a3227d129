"""A first run that does not look empty (issue 22): the leaderboard's "opt in" is a link to
the settings, and `make simulate`'s settlements write the same e-mail log line as the
Admin's button (the script configures the app's logging; before, the line went nowhere)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, sign_in

REPO = Path(__file__).resolve().parents[3]


async def test_the_leaderboard_links_to_the_settings_to_opt_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    sign_in(client, user)
    page = await client.get("/leaderboard", headers=HTML)
    assert page.status_code == 200
    assert (
        'You are not on the leaderboard: <a href="/settings#display_name" '
        'data-testid="opt-in-link">opt in on your settings page</a>.'
    ) in page.text


SETUP = """
import asyncio, sys
from datetime import datetime, timedelta, UTC
from courtside.db import dispose_engine
from courtside.models import BetSide, Game, Team, User
from courtside.services import placing, wallets
from courtside.unit_of_work import unit_of_work

async def main():
    tip_off = datetime.fromisoformat(sys.argv[1])
    async with unit_of_work() as work:
        s = work.session
        home = Team(abbreviation="BOS", city="Boston", name="Celtics", conference="East",
                    division="Atlantic")
        away = Team(abbreviation="NYK", city="New York", name="Knicks", conference="East",
                    division="Atlantic")
        user = User(username="mailme", email="mailme@example.com", password_hash="x",
                    email_notifications=True)
        s.add_all([home, away, user])
        await s.flush()
        game = Game(external_id="mail-1", season=tip_off.year - (tip_off.month < 8),
                    start_time=tip_off, home_team_id=home.id, away_team_id=away.id,
                    status="scheduled")
        s.add(game)
        await s.flush()
        await placing.record_bet(
            s, wallet=await wallets.wallet_for(s, user.id), game_id=game.id,
            side=BetSide.HOME, stake_cents=1000, odds=-110, bookmaker="test",
            quoted_at=tip_off - timedelta(hours=2), now=tip_off - timedelta(hours=1))
    await dispose_engine()

asyncio.run(main())
"""


def test_make_simulate_writes_the_settlement_email_log_line(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REDIS_", "DATABASE_", "EMAIL_"))
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        ENVIRONMENT="local",
        LOG_LEVEL="INFO",  # `make run`'s and `make simulate`'s default
        PYTHONPATH=os.pathsep.join([str(REPO / "api"), str(REPO)]),
    )

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run("-m", "courtside", "migrate")
    run("-c", SETUP, (datetime.now(UTC) - timedelta(hours=1)).isoformat())
    printed = run("scripts/demo_refresh.py", "simulate").splitlines()
    assert printed[-1] == "simulated results: 1 games final, 1 bets settled"
    lines = [json.loads(line) for line in printed[:-1] if line.startswith("{")]
    mails = [line for line in lines if "e-mail (log backend)" in line.get("message", "")]
    assert len(mails) == 1
    assert "to mailme@example.com: Courtside: a bet settled" in mails[0]["message"]
