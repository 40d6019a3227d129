"""`POST /v1/ingest/{dataset}`: scopes, atomicity, idempotency, upserts, limits, event log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from courtside.models import (
    ApiScope,
    Game,
    Injury,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Prediction,
    Team,
)
from courtside.settings import reset_settings
from tests.api.ingest import records as r
from tests.api.ingest.conftest import api_key_headers, count, ingest_events
from tests.helpers import both_dialects

Headers = dict[str, str]


async def post(
    client: httpx.AsyncClient, dataset: str, records: list[dict[str, Any]], headers: Headers
) -> httpx.Response:
    return await client.post(f"/v1/ingest/{dataset}", json={"records": records}, headers=headers)


async def load_base(client: httpx.AsyncClient, headers: Headers) -> None:
    """Teams, two players, a scheduled game: what the other datasets refer to."""
    for dataset, batch in (
        ("teams", r.teams()),
        ("players", [r.player("p-1"), r.player("p-2", "NYK", season_stats=[])]),
        ("games", [r.game("g-1")]),
    ):
        response = await post(client, dataset, batch, headers)
        assert response.status_code == 200, response.text


DATASET_BATCHES: dict[str, list[dict[str, Any]]] = {
    "teams": r.teams(),
    "players": [r.player("p-1"), r.player("p-3", None, season_stats=[r.stats(2024), r.stats()])],
    "games": [
        r.game("g-1"),
        r.game("g-2", "LAL", "BOS", status="final", home_score=99, away_score=101),
    ],
    "odds": [r.odds(), r.odds(bookmaker="draftkings", home=-145, away=125)],
    "predictions": [r.prediction(), r.prediction(version="elo-2", p=0.4)],
    "injuries": [r.injury(), r.injury("p-2", status="day-to-day", note="")],
}
TABLES = {
    "teams": Team,
    "players": Player,
    "games": Game,
    "odds": OddsSnapshot,
    "predictions": Prediction,
    "injuries": Injury,
}


# --- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", list(DATASET_BATCHES))
async def test_anonymous_is_401(client, session, dataset):
    response = await post(client, dataset, DATASET_BATCHES[dataset], {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_required"


async def test_read_key_users_and_bad_keys_are_refused(client, session, read_key, admin, consumer):
    cases = [
        (read_key, 403),
        (admin, 403),
        (consumer, 403),
        ({"X-API-Key": "cs_000000000000_" + "x" * 43}, 401),
        ({"X-API-Key": "nonsense"}, 401),
    ]
    for headers, status in cases:
        response = await post(client, "teams", r.teams(), headers)
        assert response.status_code == status, (headers, response.text)
    assert await count(session, Team) == 0


async def test_revoked_key_is_401(client, session, write_key):
    from courtside.models import ApiKey, utcnow

    key = (await session.scalars(select(ApiKey).where(ApiKey.name == "pipeline"))).one()
    key.revoked_at = utcnow()
    await session.commit()
    response = await post(client, "teams", r.teams(), write_key)
    assert response.status_code == 401
    assert await count(session, Team) == 0


async def test_unknown_dataset_is_422_naming_the_datasets(client, write_key):
    response = await post(client, "coaches", [{"name": "x"}], write_key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "teams" in str(error["details"])
    assert "injuries" in str(error["details"])


@pytest.mark.parametrize(
    "body",
    [[], {}, {"records": []}, {"records": "teams"}, {"records": [1, 2]}, {"records": [{}], "x": 1}],
)
async def test_malformed_bodies_are_422(client, write_key, body):
    response = await client.post("/v1/ingest/teams", json=body, headers=write_key)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


# --- every dataset, round trip and idempotency -------------------------------------------------


@both_dialects
async def test_each_dataset_is_written_and_idempotent(client, session, write_key):
    await load_base(client, write_key)
    for dataset, batch in DATASET_BATCHES.items():
        first = await post(client, dataset, batch, write_key)
        assert first.status_code == 200, (dataset, first.text)
        rows = await count(session, TABLES[dataset])
        again = await post(client, dataset, batch, write_key)
        assert again.status_code == 200, again.text
        body = again.json()
        assert (body["inserted"], body["updated"], body["unchanged"]) == (0, 0, len(batch)), dataset
        assert await count(session, TABLES[dataset]) == rows, dataset
    assert await count(session, Team) == 3
    assert await count(session, Player) == 3
    assert await count(session, PlayerSeasonStats) == 3  # p-1 2025, p-3 2024 and 2025
    assert await count(session, Game) == 2
    assert await count(session, OddsSnapshot) == 2
    assert await count(session, Prediction) == 2
    assert await count(session, Injury) == 2


@both_dialects
async def test_counts_report_inserted_updated_unchanged(client, session, write_key):
    first = (await post(client, "teams", r.teams()[:2], write_key)).json()
    assert (first["inserted"], first["updated"], first["unchanged"]) == (2, 0, 0)
    changed = r.teams()
    changed[0]["city"] = "Beantown"
    second = (await post(client, "teams", changed, write_key)).json()
    assert (second["received"], second["inserted"], second["updated"], second["unchanged"]) == (
        3,
        1,
        1,
        1,
    )
    assert second["dataset"] == "teams"
    boston = (await client.get("/v1/teams/BOS")).json()
    assert boston["city"] == "Beantown"


@both_dialects
async def test_resend_does_not_touch_rows(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    before = dict((await session.execute(select(Team.abbreviation, Team.updated_at))).all())
    await post(client, "teams", r.teams(), write_key)
    session.expire_all()
    after = dict((await session.execute(select(Team.abbreviation, Team.updated_at))).all())
    assert after == before


@both_dialects
async def test_changed_records_update_in_place(client, session, write_key):
    await load_base(client, write_key)
    await post(client, "odds", [r.odds()], write_key)
    await post(client, "predictions", [r.prediction()], write_key)
    await post(client, "injuries", [r.injury()], write_key)

    updates = {
        "players": [r.player("p-1", "LAL", jersey="23", season_stats=[r.stats(points=30.1)])],
        "games": [r.game("g-1", status="final", home_score=110, away_score=104)],
        "odds": [r.odds(home=-170, away=150)],
        "predictions": [r.prediction(p=0.7)],
        "injuries": [r.injury(status="questionable", note="Ankle, improving")],
    }
    for dataset, batch in updates.items():
        body = (await post(client, dataset, batch, write_key)).json()
        assert (body["inserted"], body["updated"], body["unchanged"]) == (0, 1, 0), (dataset, body)

    session.expire_all()
    player = (await session.scalars(select(Player).where(Player.external_id == "p-1"))).one()
    stats = (await session.scalars(select(PlayerSeasonStats))).all()
    game = (await session.scalars(select(Game).where(Game.external_id == "g-1"))).one()
    odds = (await session.scalars(select(OddsSnapshot))).one()
    prediction = (await session.scalars(select(Prediction))).one()
    injury = (await session.scalars(select(Injury))).one()
    lakers = (await session.scalars(select(Team).where(Team.abbreviation == "LAL"))).one()
    assert (player.team_id, player.jersey) == (lakers.id, "23")
    assert [(s.season, s.points, s.team_id) for s in stats] == [(2025, 30.1, lakers.id)]
    assert (game.status, game.home_score, game.away_score) == ("final", 110, 104)
    assert (odds.home_odds, odds.away_odds) == (-170, 150)
    assert prediction.home_win_probability == 0.7
    assert (injury.status, injury.description) == ("questionable", "Ankle, improving")


async def test_player_season_stats_counts(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    first = (await post(client, "players", [r.player()], write_key)).json()
    assert first["season_stats"] == {"inserted": 1, "updated": 0, "unchanged": 0}
    changed = r.player(season_stats=[r.stats(2025, assists=9.9), r.stats(2026)])
    second = (await post(client, "players", [changed], write_key)).json()
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 1)
    assert second["season_stats"] == {"inserted": 1, "updated": 1, "unchanged": 0}


async def test_timestamps_are_normalised_to_utc(client, session, write_key):
    await load_base(client, write_key)
    await post(client, "odds", [r.odds(at="2026-11-19T07:00:00-05:00")], write_key)
    again = await post(client, "odds", [r.odds(at="2026-11-19T12:00:00Z")], write_key)
    assert again.json()["unchanged"] == 1  # the same instant, so the same snapshot
    odds = (await session.scalars(select(OddsSnapshot))).one()
    assert odds.recorded_at.isoformat() == "2026-11-19T12:00:00+00:00"


# --- atomicity ---------------------------------------------------------------------------------


@both_dialects
async def test_one_invalid_record_writes_nothing(client, session, write_key):
    batch = r.teams()
    batch[1]["conference"] = "North"
    batch[2]["abbreviation"] = "L4L"
    response = await post(client, "teams", batch, write_key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_records"
    assert "2 of 3 records are invalid" in error["message"]
    assert [item["index"] for item in error["details"]] == [1, 2]
    assert error["details"][0]["errors"][0]["loc"] == ["conference"]
    assert error["details"][1]["errors"][0]["loc"] == ["abbreviation"]
    assert await count(session, Team) == 0
    assert await ingest_events(session) == []


@both_dialects
async def test_unknown_references_are_per_record_errors(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    games = [r.game("g-1"), r.game("g-2", "BOS", "XYZ"), r.game("g-3", "QQQ", "LAL")]
    response = await post(client, "games", games, write_key)
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details == [
        {
            "index": 1,
            "errors": [
                {"loc": ["away_team"], "msg": "unknown team 'XYZ'", "type": "unknown_reference"}
            ],
        },
        {
            "index": 2,
            "errors": [
                {"loc": ["home_team"], "msg": "unknown team 'QQQ'", "type": "unknown_reference"}
            ],
        },
    ]
    assert await count(session, Game) == 0
    for dataset, batch, field in (
        ("odds", [r.odds("nope")], "game"),
        ("predictions", [r.prediction("nope")], "game"),
        ("injuries", [r.injury("nobody")], "player"),
        ("players", [r.player(team="ZZZ")], "team"),
    ):
        response = await post(client, dataset, batch, write_key)
        assert response.status_code == 422, dataset
        assert response.json()["error"]["details"][0]["errors"][0]["loc"] == [field]


async def test_duplicate_keys_in_a_batch_are_refused(client, session, write_key):
    batch = [*r.teams(), {**r.TEAMS[0], "abbreviation": "bos"}]
    response = await post(client, "teams", batch, write_key)
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["index"] == 3
    assert detail["errors"][0]["type"] == "duplicate_record"
    assert "record 0" in detail["errors"][0]["msg"]
    assert await count(session, Team) == 0


async def test_a_bad_record_among_good_updates_changes_nothing(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    batch = r.teams()
    batch[0]["city"] = "Changed"
    batch[2]["division"] = "Atlantic"  # LAL is West: the Atlantic is East
    response = await post(client, "teams", batch, write_key)
    assert response.status_code == 422
    assert "the Atlantic division is in the East" in response.text
    session.expire_all()
    boston = (await session.scalars(select(Team).where(Team.abbreviation == "BOS"))).one()
    assert boston.city == "Boston"


async def test_error_list_is_capped_but_counted(client, session, write_key):
    batch = [{"abbreviation": "B"} for _ in range(150)]
    response = await post(client, "teams", batch, write_key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert len(error["details"]) == 100
    assert error["message"].startswith("150 of 150 records are invalid (the first 100 are listed)")


# --- limits ------------------------------------------------------------------------------------


@pytest.fixture
def max_records(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INGEST_MAX_RECORDS", "3")
    reset_settings()
    yield 3
    monkeypatch.delenv("INGEST_MAX_RECORDS")
    reset_settings()


async def test_too_many_records_is_413(client, session, write_key, max_records):
    ok = await post(client, "teams", r.teams(), write_key)
    assert ok.status_code == 200
    teams = [*r.teams(), {**r.TEAMS[0], "abbreviation": "SEA"}]
    response = await post(client, "teams", teams, write_key)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_many_records"
    assert error["details"] == {"max_records": 3, "received": 4}
    assert await count(session, Team) == 3


async def test_ingest_has_its_own_body_limit(client, session, write_key):
    """1.5 MiB is over the app-wide 1 MiB limit but fine for a batch; over 5 MiB is not."""
    records = b'{"records": ' + httpx.Response(200, json=r.teams()).content + b"}"
    padded = records[:-1] + b" " * (1_572_864) + b"}"
    headers = {**write_key, "Content-Type": "application/json"}
    accepted = await client.post("/v1/ingest/teams", content=padded, headers=headers)
    assert accepted.status_code == 200, accepted.text[:200]
    elsewhere = await client.post("/v1/teams", content=padded, headers=headers)
    assert elsewhere.status_code == 413

    huge = records[:-1] + b" " * (5 * 1_048_576) + b"}"
    refused = await client.post("/v1/ingest/teams", content=huge, headers=headers)
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"max_bytes": 5_242_880}


# --- event log ---------------------------------------------------------------------------------


@both_dialects
async def test_each_write_records_one_event(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    await post(client, "teams", r.teams(), write_key)
    await post(client, "games", [r.game("g-1"), r.game("g-9", "BOS", "XXX")], write_key)  # 422
    events = await ingest_events(session)
    assert [e.action for e in events] == ["ingest.teams", "ingest.teams"]
    first, second = events
    assert (first.actor_type, first.actor_name) == ("api_key", "pipeline")
    assert first.actor_id is not None
    assert first.target == "teams"
    assert first.details == {
        "received": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "keys": ["BOS", "NYK", "LAL"],
        "keys_total": 3,
    }
    assert second.details["unchanged"] == 3


async def test_event_id_is_returned(client, session, write_key):
    body = (await post(client, "teams", r.teams(), write_key)).json()
    (event,) = await ingest_events(session)
    assert body["event_id"] == event.id


async def test_events_name_the_key_that_wrote(client, session, write_key):
    other = await api_key_headers(session, ApiScope.WRITE, "backfill")
    await post(client, "teams", r.teams(), write_key)
    await post(client, "teams", r.teams(), other)
    assert [e.actor_name for e in await ingest_events(session)] == ["pipeline", "backfill"]
