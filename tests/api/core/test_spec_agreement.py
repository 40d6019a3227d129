"""The OpenAPI document and the app agree on what the document cannot list operation by
operation: the 400 of a body that cannot be read, the 405 and its `Allow` header for a method
a path does not serve (OPTIONS included), and inputs only in the documented form (no
`?date=0` read as a Unix timestamp, no `{"enabled": 0}` read as false). Pages answer their
errors as pages."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from courtside.main import create_app
from tests.api.access_rules import SAMPLE_PATH_VALUES
from tests.api.auth.helpers import make_user, user_headers

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def _concrete(template: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLE_PATH_VALUES.get(m.group(1), "1"), template)


def _body_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]


def test_every_operation_with_a_body_declares_the_400(document):
    operations = _body_operations(document)
    assert len(operations) >= 10, "the walk sees the API's writes"
    for method, path, operation in operations:
        declared = operation["responses"].get("400")
        assert declared is not None, (method, path)
        schema = declared["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


def test_the_document_declares_the_405_and_its_allow_header(document):
    response = document["components"]["responses"]["MethodNotAllowed"]
    assert "Allow" in response["headers"]
    assert "405" in document["info"]["description"]
    assert "Allow" in document["info"]["description"]


async def test_every_json_operation_answers_400_to_a_body_it_cannot_read(client, document):
    for method, path, operation in _body_operations(document):
        if "application/json" not in operation["requestBody"]["content"]:
            continue
        response = await client.request(
            method,
            _concrete(path),
            content=b"\x80\x81 not utf-8",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, (method, path, response.text)
        assert response.json()["error"]["code"] == "bad_request"


async def test_a_method_a_path_does_not_list_is_405_with_every_method_it_does(client, document):
    checked = 0
    for path, operations in document["paths"].items():
        documented = {m.upper() for m in operations}
        for method in METHODS:
            if method in documented:
                continue
            response = await client.request(method, _concrete(path))
            assert response.status_code == 405, (method, path, response.status_code)
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == documented, (method, path, allowed)
            checked += 1
    assert checked > 100


async def test_options_on_a_path_with_two_methods_lists_both(client):
    response = await client.options("/v1/me/bets")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_a_date_is_a_date_not_a_timestamp(client):
    for value in ("0", "1700000000", "0.5", "2026-12-01T00:00:00", "20261201"):
        response = await client.get("/v1/games", params={"date": value})
        assert response.status_code == 422, value
    assert (await client.get("/v1/games", params={"date": "2026-12-01"})).status_code == 200


async def test_an_instant_is_iso_8601_not_a_number(client, session):
    admin = await make_user(session, role="Admin")
    headers = user_headers(admin)
    for value in ("0.5", "0", "1700000000", "1e9"):
        response = await client.get("/v1/admin/events", params={"until": value}, headers=headers)
        assert response.status_code == 422, value
    for value in ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00+01:00", "2026-12-01 10:00Z"):
        response = await client.get("/v1/admin/events", params={"until": value}, headers=headers)
        assert response.status_code == 200, (value, response.text)


async def test_a_boolean_is_true_or_false(client, session):
    admin = await make_user(session, role="Admin")
    target = await make_user(session)
    headers = user_headers(admin)
    for body in ({"enabled": 0}, {"enabled": 1}, {"enabled": "false"}, {"enabled": None}):
        response = await client.patch("/v1/admin/flags/betting_open", json=body, headers=headers)
        assert response.status_code == 422 or body == {"enabled": None}, body
    created = await client.post(
        "/v1/admin/flags", json={"name": "dark_mode", "enabled": 1}, headers=headers
    )
    assert created.status_code == 422
    for body in ({"is_active": 0}, {"password_reset_required": 1}):
        response = await client.patch(f"/v1/admin/users/{target.id}", json=body, headers=headers)
        assert response.status_code == 422, body
    ok = await client.patch(
        "/v1/admin/flags/betting_open", json={"enabled": False}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["enabled"] is False


async def test_a_page_answers_its_errors_as_a_page(client: httpx.AsyncClient):
    for accept in (None, "*/*", "text/html"):
        headers = {"Accept": accept} if accept else {}
        response = await client.get("/leaderboard?period=week", headers=headers)
        assert response.status_code == 422, accept
        assert response.headers["content-type"].startswith("text/html"), accept
        assert "<!doctype html>" in response.text.lower()
    scripted = await client.get("/leaderboard?period=week", headers={"Accept": "application/json"})
    assert scripted.status_code == 422
    assert scripted.json()["error"]["code"] == "validation_error"
    api = await client.get("/v1/games?date=0")  # the API stays JSON whatever is accepted
    assert api.headers["content-type"].startswith("application/json")
