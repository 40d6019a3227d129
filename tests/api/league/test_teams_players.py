from tests.helpers import both_dialects


@both_dialects
async def test_teams_are_listed_in_abbreviation_order(client, world):
    response = await client.get("/v1/teams")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 4
    assert (body["limit"], body["offset"]) == (50, 0)
    assert [t["abbreviation"] for t in body["items"]] == ["BOS", "DEN", "LAL", "NYK"]
    assert body["items"][0]["full_name"] == "Boston Celtics"


async def test_team_lookup_is_case_insensitive(client, world):
    response = await client.get("/v1/teams/bos")
    assert response.status_code == 200
    assert response.json()["conference"] == "East"


async def test_unknown_team_is_a_json_404(client, world):
    response = await client.get("/v1/teams/XYZ", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


async def test_team_path_is_validated(client, world):
    response = await client.get("/v1/teams/B0S1X")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_team_players_roster(client, world):
    response = await client.get("/v1/teams/BOS/players")
    assert response.status_code == 200
    names = [p["full_name"] for p in response.json()["items"]]
    assert names == ["Jaylen Brown", "Jayson Tatum"]
    assert (await client.get("/v1/teams/ZZZ/players")).status_code == 404


@both_dialects
async def test_player_filters(client, world):
    by_team = (await client.get("/v1/players", params={"team": "nyk"})).json()
    assert [p["last_name"] for p in by_team["items"]] == ["Brunson"]
    by_name = (await client.get("/v1/players", params={"q": "JAY"})).json()
    assert {p["last_name"] for p in by_name["items"]} == {"Tatum", "Brown"}
    by_position = (await client.get("/v1/players", params={"position": "g-f"})).json()
    assert [p["last_name"] for p in by_position["items"]] == ["Brown"]
    bad_position = await client.get("/v1/players", params={"position": "PG"})
    assert bad_position.status_code == 422


@both_dialects
async def test_name_search_treats_wildcards_literally(client, world):
    literal = (await client.get("/v1/players", params={"q": "_100%"})).json()
    assert [p["last_name"] for p in literal["items"]] == ["Agent_100%"]
    wildcard = (await client.get("/v1/players", params={"q": "%"})).json()
    assert wildcard["total"] == 1


async def test_player_detail_has_stats_and_injuries(client, world):
    listing = (await client.get("/v1/players", params={"q": "tatum"})).json()
    player_id = listing["items"][0]["id"]
    response = await client.get(f"/v1/players/{player_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["team"]["abbreviation"] == "BOS"
    assert body["season_stats"][0]["points"] == 27.5
    assert body["season_stats"][0]["team_abbreviation"] == "BOS"
    assert body["injuries"][0]["status"] == "questionable"


async def test_unknown_player_is_404_and_bad_id_is_422(client, world):
    assert (await client.get("/v1/players/999999")).status_code == 404
    assert (await client.get("/v1/players/abc")).status_code == 422
    assert (await client.get("/v1/players/0")).status_code == 422
