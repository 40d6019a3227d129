"""Values PostgreSQL cannot hold (a NUL character) are a 422, never a 500, on every route."""

import pytest

from tests.api.auth.helpers import key_headers, make_key, make_user, user_headers


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/players?q=a%00b", 422),
        ("/v1/admin/events?action=ingest%00", 422),
        ("/v1/admin/events?actor=x%00", 422),
        ("/admin/audit?action=%00", 422),
        ("/v1/admin/users?q=%00", 200),  # user search drops NUL characters itself
    ],
)
async def test_nul_in_a_filter_is_refused_cleanly(client, session, path, status):
    admin = await make_user(session, role="Admin")
    response = await client.get(path, headers=user_headers(admin))
    assert response.status_code == status, response.text
    if status == 422:
        assert "cannot be stored" in response.text


async def test_nul_in_an_ingested_record_writes_nothing(client, session):
    full_key = await make_key(session, scope="write")
    team = {
        "abbreviation": "BOS",
        "city": "Bos\u0000ton",
        "name": "Celtics",
        "conference": "East",
        "division": "Atlantic",
    }
    response = await client.post(
        "/v1/ingest/teams", json={"records": [team]}, headers=key_headers(full_key)
    )
    assert response.status_code == 422, response.text
    listing = await client.get("/v1/teams")
    assert listing.json()["total"] == 0


@pytest.mark.parametrize("bound", ["since", "until"])
@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
async def test_timestamps_beyond_the_calendar_are_a_422(client, session, bound, value):
    admin = await make_user(session, role="Admin")
    response = await client.get(
        "/v1/admin/events", params={bound: value}, headers=user_headers(admin)
    )
    assert response.status_code == 422, response.text


async def test_an_ingested_timestamp_beyond_the_calendar_is_a_per_record_error(client, session):
    full_key = await make_key(session, scope="write")
    game = {
        "external_id": "g-far",
        "season": 2026,
        "start_time": "9999-12-31T23:00:00-05:00",
        "home_team": "BOS",
        "away_team": "NYK",
        "status": "scheduled",
        "home_score": None,
        "away_score": None,
    }
    response = await client.post(
        "/v1/ingest/games", json={"records": [game]}, headers=key_headers(full_key)
    )
    assert response.status_code == 422, response.text
    assert "out of range" in response.text
