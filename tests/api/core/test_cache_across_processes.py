"""Two processes, no Redis: the app under uvicorn on a SQLite file caches `/v1/games/{id}`
in its memory, and `make simulate`'s script, another process, finalises the game. A read
after the writer's commit (and the stated check interval) is fresh: the JSON API no longer
serves the scheduled game for up to a minute (issue 22)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from courtside.cache_versions import CHECK_INTERVAL_SECONDS
from tests.browser.conftest import _free_port

REPO = Path(__file__).resolve().parents[3]

SETUP = """
import asyncio, json, sys
from courtside.db import dispose_engine
from courtside.schemas.ingest import Dataset
from courtside.services.audit import Actor
from courtside.services.ingest import ingest
from courtside.unit_of_work import unit_of_work

async def main():
    actor = Actor("system", None, "test-setup")
    for dataset, records in json.loads(sys.argv[1]):
        async with unit_of_work() as work:
            await ingest(work.session, Dataset(dataset), records, actor=actor)
    await dispose_engine()

asyncio.run(main())
"""


def _env(database: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REDIS_", "DATABASE_")) and key != "BEHIND_CLOUDFRONT"
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        ENVIRONMENT="local",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(REPO / "api"), str(REPO)]),
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], str]]:
    """uvicorn on a migrated SQLite file holding one game that tipped off an hour ago and
    is still scheduled; the environment of that app (no Redis: the in-process cache); the
    game's day in the league's time zone."""
    env = _env(tmp_path / "courtside.db")
    _run(["-m", "courtside", "migrate"], env)
    tip_off = datetime.now(UTC) - timedelta(hours=1)
    season = tip_off.year if tip_off.month >= 8 else tip_off.year - 1
    teams = [
        {"abbreviation": "BOS", "city": "Boston", "name": "Celtics", "conference": "East",
         "division": "Atlantic"},
        {"abbreviation": "NYK", "city": "New York", "name": "Knicks", "conference": "East",
         "division": "Atlantic"},
    ]  # fmt: skip
    game = {
        "external_id": "cross-process-1",
        "season": season,
        "start_time": tip_off.isoformat(),
        "home_team": "BOS",
        "away_team": "NYK",
        "status": "scheduled",
    }
    _run(["-c", SETUP, json.dumps([["teams", teams], ["games", [game]]])], env)
    port = _free_port()
    log = (tmp_path / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "courtside.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        yield base, env, tip_off.astimezone(ZoneInfo("America/New_York")).date().isoformat()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_a_read_after_another_process_commits_is_fresh(
    served: tuple[str, dict[str, str], str],
) -> None:
    base, env, day = served
    games = httpx.get(f"{base}/v1/games", params={"date": day}, timeout=10).json()
    game_id = games["items"][0]["id"]
    url = f"{base}/v1/games/{game_id}"
    first = httpx.get(url, timeout=10)
    second = httpx.get(url, timeout=10)
    assert (first.json()["status"], first.headers["x-cache"]) == ("scheduled", "miss")
    assert (second.json()["status"], second.headers["x-cache"]) == ("scheduled", "hit")

    printed = _run(["scripts/demo_refresh.py", "simulate"], env)  # `make simulate`
    assert "1 games final" in printed
    time.sleep(CHECK_INTERVAL_SECONDS)  # the stated bound (cache_versions); no more

    after = httpx.get(url, timeout=10)
    assert (after.json()["status"], after.headers["x-cache"]) == ("final", "miss")
    assert httpx.get(url, timeout=10).headers["x-cache"] == "hit"
