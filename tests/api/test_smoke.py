from tests.helpers import both_dialects, make_teams


@both_dialects
async def test_teams_listed(client, session):
    await make_teams(session)
    await session.commit()
    response = await client.get("/v1/teams")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 4
    assert [t["abbreviation"] for t in body["items"]] == ["BOS", "DEN", "LAL", "NYK"]


async def test_rollback_isolates_tests(client):
    response = await client.get("/v1/teams")
    assert response.json()["total"] == 0
