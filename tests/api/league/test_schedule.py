from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.helpers import both_dialects, make_game


@both_dialects
async def test_games_of_a_day_use_the_league_time_zone(client, world):
    response = await client.get("/v1/games", params={"date": "2026-11-23"})
    assert response.status_code == 200
    body = response.json()
    # 00:30 and 03:00 UTC on the 24th are the evening of the 23rd in New York; the game at
    # 02:00 UTC on the 23rd was the 22nd there.
    assert [g["id"] for g in body["items"]] == [g.id for g in world.today_games]
    assert body["items"][0]["home_team"]["abbreviation"] == "BOS"
    assert body["items"][0]["start_time"] == "2026-11-24T00:30:00Z"
    previous = (await client.get("/v1/games", params={"date": "2026-11-22"})).json()
    assert [g["status"] for g in previous["items"]] == ["final"]


async def test_games_default_to_today_in_the_league(client, session, world):
    now = datetime.now(UTC)
    game = await make_game(session, world.teams["DEN"], world.teams["LAL"], now)
    await session.commit()
    today = now.astimezone(ZoneInfo("America/New_York")).date()
    default = (await client.get("/v1/games")).json()
    explicit = (await client.get("/v1/games", params={"date": today.isoformat()})).json()
    assert game.id in [g["id"] for g in default["items"]]
    assert default == explicit


async def test_games_filter_by_team_and_status(client, world):
    params = {"date": "2026-11-23", "team": "den"}
    assert [g["id"] for g in (await client.get("/v1/games", params=params)).json()["items"]] == [
        world.today_games[1].id
    ]
    params = {"date": "2026-11-23", "status": "final"}
    assert (await client.get("/v1/games", params=params)).json()["total"] == 0
    bad = await client.get("/v1/games", params={"date": "2026-11-23", "status": "done"})
    assert bad.status_code == 422
    assert (await client.get("/v1/games", params={"date": "23/11/2026"})).status_code == 422
    assert (await client.get("/v1/games", params={"team": "XXX"})).status_code == 404


@both_dialects
async def test_game_detail_has_latest_odds_per_bookmaker_and_prediction(client, world):
    game = world.today_games[0]
    body = (await client.get(f"/v1/games/{game.id}")).json()
    assert [(o["bookmaker"], o["home_odds"], o["away_odds"]) for o in body["latest_odds"]] == [
        ("alpha", -160, 140),
        ("beta", -155, 135),
    ]
    assert body["latest_odds"][0]["home_implied_probability"] == round(160 / 260, 4)
    assert body["latest_odds"][0]["away_implied_probability"] == round(100 / 240, 4)
    assert body["prediction"]["home_win_probability"] == 0.61
    assert body["prediction"]["away_win_probability"] == 0.39
    other = (await client.get(f"/v1/games/{world.today_games[1].id}")).json()
    assert other["latest_odds"] == [] and other["prediction"] is None
    assert (await client.get("/v1/games/424242")).status_code == 404


@both_dialects
async def test_odds_of_a_day(client, world):
    body = (await client.get("/v1/odds", params={"date": "2026-11-23"})).json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first["game"]["id"] == world.today_games[0].id
    assert [o["bookmaker"] for o in first["odds"]] == ["alpha", "beta"]
    assert second["odds"] == []


async def test_predictions_of_a_day_only_list_games_with_one(client, world):
    body = (await client.get("/v1/predictions", params={"date": "2026-11-23"})).json()
    assert body["total"] == 1
    assert body["items"][0]["game"]["id"] == world.today_games[0].id
    assert body["items"][0]["prediction"]["model_version"] == "v1"


@both_dialects
async def test_standings_from_final_games(client, world):
    response = await client.get("/v1/standings", params={"season": 2026})
    assert response.status_code == 200
    body = response.json()
    assert body["season"] == 2026
    east, west = body["conferences"]
    assert east["conference"] == "East" and west["conference"] == "West"
    rows = {row["team"]["abbreviation"]: row for row in east["teams"] + west["teams"]}
    # BOS: W (vs NYK), L (at NYK), W (vs LAL), L (at DEN on the 23rd) -> 2-2, streak L1
    assert (rows["BOS"]["wins"], rows["BOS"]["losses"]) == (2, 2)
    assert rows["BOS"]["streak"] == "L1"
    assert rows["BOS"]["last_10"] == "2-2"
    assert (rows["NYK"]["wins"], rows["NYK"]["losses"]) == (1, 1)
    assert [r["team"]["abbreviation"] for r in east["teams"]] == ["BOS", "NYK"]
    assert rows["BOS"]["games_behind"] == 0.0
    # West: DEN 1-1 (L at LAL, W vs BOS), LAL 1-1 -> tied; order by abbreviation
    assert [r["team"]["abbreviation"] for r in west["teams"]] == ["DEN", "LAL"]
    assert rows["LAL"]["win_pct"] == 0.5
    assert rows["LAL"]["rank"] == 2


async def test_standings_without_games(client):
    body = (await client.get("/v1/standings")).json()
    assert body == {"season": None, "conferences": []}
    assert (await client.get("/v1/standings", params={"season": 1900})).status_code == 422
