"""`GET /v1/admin/events` and `audit.list_events`: Admins only, filters, pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courtside.models import AuditEvent, utcnow
from courtside.schemas.common import PageParams
from courtside.services import audit
from tests.api.ingest import records as r
from tests.api.ingest.test_ingest_api import post
from tests.helpers import both_dialects

NOW = utcnow().replace(microsecond=0)


async def _events(session) -> None:
    """Five events over five days, by three kinds of actor."""
    rows = [
        (5, "user", "1", "root", "flag.update", "flag:betting_open"),
        (4, "api_key", "7", "pipeline", "ingest.teams", "teams"),
        (3, "api_key", "7", "pipeline", "ingest.games", "games"),
        (2, "system", None, "demo-data", "ingest.games", "games"),
        (1, "user", "1", "root", "api_key.revoke", "api_key:7"),
    ]
    for days, kind, actor_id, name, action, target in rows:
        session.add(
            AuditEvent(
                occurred_at=NOW - timedelta(days=days),
                actor_type=kind,
                actor_id=actor_id,
                actor_name=name,
                action=action,
                target=target,
                details={"n": days},
            )
        )
    await session.commit()


async def test_access(client, session, consumer, write_key, admin):
    assert (await client.get("/v1/admin/events")).status_code == 401
    assert (await client.get("/v1/admin/events", headers=write_key)).status_code == 401
    assert (await client.get("/v1/admin/events", headers=consumer)).status_code == 403
    assert (await client.get("/v1/admin/events", headers=admin)).status_code == 200


@both_dialects
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"action": "ingest.games"}, [2, 3]),
        ({"action": "ingest.*"}, [2, 3, 4]),
        ({"action": "ingest"}, []),
        ({"actor_type": "api_key"}, [3, 4]),
        ({"actor": "pipeline"}, [3, 4]),
        ({"actor": "1"}, [1, 5]),
        ({"target": "games"}, [2, 3]),
        ({"since": (NOW - timedelta(days=3)).isoformat()}, [1, 2, 3]),
        ({"until": (NOW - timedelta(days=3)).isoformat()}, [4, 5]),
        ({"action": "ingest.*", "actor_type": "system"}, [2]),
    ],
)
async def test_filters(client, session, admin, params, expected):
    await _events(session)
    response = await client.get("/v1/admin/events", params=params, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["details"]["n"] for item in body["items"]] == expected  # newest first
    assert body["total"] == len(expected)


async def test_pagination(client, session, admin):
    await _events(session)
    page = await client.get("/v1/admin/events?limit=2&offset=2", headers=admin)
    body = page.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    assert [item["details"]["n"] for item in body["items"]] == [3, 4]
    item = body["items"][0]
    assert set(item) == {
        "id",
        "occurred_at",
        "actor_type",
        "actor_id",
        "actor_name",
        "action",
        "target",
        "details",
    }


@pytest.mark.parametrize(
    "query",
    ["actor_type=robot", "since=yesterday", "until=2026-11-20T10:00:00", "limit=0", "limit=500"],
)
async def test_bad_filters_are_422(client, session, admin, query):
    response = await client.get(f"/v1/admin/events?{query}", headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_like_wildcards_in_a_prefix_are_literal(session):
    session.add(AuditEvent(actor_type="system", actor_name="s", action="ingest_x", details={}))
    session.add(AuditEvent(actor_type="system", actor_name="s", action="ingestax", details={}))
    await session.flush()
    page = await audit.list_events(session, action="ingest_*", page=PageParams(limit=10, offset=0))
    assert [e.action for e in page.items] == ["ingest_x"]


async def test_ingestion_writes_appear_in_the_log(client, session, write_key, admin):
    await post(client, "teams", r.teams(), write_key)
    body = (await client.get("/v1/admin/events?action=ingest.teams", headers=admin)).json()
    assert body["total"] == 1
    (event,) = body["items"]
    assert (event["actor_type"], event["actor_name"], event["target"]) == (
        "api_key",
        "pipeline",
        "teams",
    )
    assert event["details"]["inserted"] == 3
