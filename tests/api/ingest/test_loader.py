"""`scripts/load_via_api.py` pushes the demo season over HTTP into the real app."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from courtside.models import AuditEvent, Game, Injury, OddsSnapshot, Player, Prediction, Team
from scripts.demo_data import generate_season
from scripts.load_via_api import parse_args, push_season, run
from tests.api.ingest.conftest import count

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEED = 3


def _args(key: str, *extra: str):
    return parse_args(
        [
            "--base-url",
            "http://testserver",
            "--api-key",
            key,
            "--seed",
            str(SEED),
            "--now",
            NOW.isoformat(),
            *extra,
        ]
    )


async def test_loads_the_demo_season_and_reloads_as_a_no_op(app, session, write_key, capsys):
    season = generate_season(seed=SEED, now=NOW)
    transport = httpx.ASGITransport(app=app)
    assert await run(_args(write_key["X-API-Key"]), transport=transport) == 0
    expected = {
        Team: len(season.teams),
        Player: len(season.players),
        Game: len(season.games),
        OddsSnapshot: len(season.odds),
        Prediction: len(season.predictions),
        Injury: len(season.injuries),
    }
    assert {model: await count(session, model) for model in expected} == expected
    assert expected[Game] == 1230
    assert expected[OddsSnapshot] > 1_000
    first = capsys.readouterr().out
    assert "teams            30 sent in 1 batches: 30 inserted" in first
    batches = -(-len(season.odds) // 1_000)
    assert f"odds         {len(season.odds):>6} sent in {batches} batches" in first

    assert await run(_args(write_key["X-API-Key"]), transport=transport) == 0
    again = capsys.readouterr().out
    assert len(again.strip().splitlines()) == 6
    assert all("0 inserted, 0 updated" in line for line in again.strip().splitlines())
    assert {model: await count(session, model) for model in expected} == expected
    events = await count(session, AuditEvent)
    assert events >= 2 * (6 + batches)  # one event-log row per batch


async def test_a_refused_key_stops_the_load(app, session, read_key, capsys):
    transport = httpx.ASGITransport(app=app)
    assert await run(_args(read_key["X-API-Key"]), transport=transport) == 1
    assert "403 insufficient_scope" in capsys.readouterr().err
    assert await count(session, Team) == 0


def test_a_key_is_required(monkeypatch):
    monkeypatch.delenv("COURTSIDE_API_KEY", raising=False)
    with pytest.raises(SystemExit) as caught:
        parse_args(["--base-url", "http://x"])
    assert caught.value.code == 2


def test_key_and_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURTSIDE_API_KEY", "cs_abc")
    monkeypatch.setenv("COURTSIDE_BASE_URL", "https://api.example.com")
    args = parse_args([])
    assert (args.api_key, args.base_url) == ("cs_abc", "https://api.example.com")


class FlakyTransport(httpx.AsyncBaseTransport):
    """The real app behind a gateway that answers 503 to the first request."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests == 1:
            return httpx.Response(503, json={"message": "Service Unavailable"})
        return await self.inner.handle_async_request(request)


async def test_unavailable_batches_are_retried(app, session, write_key):
    season = generate_season(seed=SEED, now=NOW)
    transport = FlakyTransport(app)
    async with httpx.AsyncClient(
        base_url="http://testserver", headers=write_key, transport=transport
    ) as client:
        totals = await push_season(client, season, datasets={"teams"}, retry_delay=0)
    assert transport.requests == 2
    assert totals["teams"].inserted == 30
    assert await count(session, Team) == 30
