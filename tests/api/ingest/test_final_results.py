"""A final result that bets were settled on cannot be changed or reopened by ingestion."""

import pytest

from tests.helpers import both_dialects

TEAMS = [
    {"abbreviation": "BOS", "city": "Boston", "name": "Celtics", "conference": "East",
     "division": "Atlantic"},
    {"abbreviation": "NYK", "city": "New York", "name": "Knicks", "conference": "East",
     "division": "Atlantic"},
]  # fmt: skip


def _game(**changes):
    game = {
        "external_id": "g-final",
        "season": 2026,
        "start_time": "2026-11-01T00:00:00Z",
        "home_team": "BOS",
        "away_team": "NYK",
        "status": "final",
        "home_score": 110,
        "away_score": 100,
    }
    game.update(changes)
    return game


@pytest.fixture
async def final_game(client, write_key):
    assert (
        await client.post("/v1/ingest/teams", json={"records": TEAMS}, headers=write_key)
    ).status_code == 200
    response = await client.post("/v1/ingest/games", json={"records": [_game()]}, headers=write_key)
    assert response.status_code == 200, response.text


@both_dialects
@pytest.mark.parametrize(
    "change",
    [
        {"home_score": 100, "away_score": 110},
        {"status": "scheduled", "home_score": None, "away_score": None},
        {"status": "postponed", "home_score": None, "away_score": None},
        {"away_score": 101},
    ],
)
async def test_a_changed_final_result_is_refused(client, write_key, final_game, change):
    response = await client.post(
        "/v1/ingest/games", json={"records": [_game(**change)]}, headers=write_key
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]["details"][0]
    assert error["index"] == 0
    assert error["errors"][0]["type"] == "final_result_locked"
    game = (await client.get("/v1/games", params={"date": "2026-10-31"})).json()["items"][0]
    assert (game["status"], game["home_score"], game["away_score"]) == ("final", 110, 100)


async def test_resending_the_same_final_result_is_accepted(client, write_key, final_game):
    response = await client.post(
        "/v1/ingest/games", json={"records": [_game(start_time="2026-11-01T00:30:00Z")]},
        headers=write_key,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == 1
