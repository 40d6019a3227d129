"""No response schema anywhere has a password or hash field; the docs offer "Authorize"."""

import re
from collections.abc import Iterator
from typing import Any

from courtside.main import create_app

FORBIDDEN = re.compile(r"pass(word)?|hash|secret", re.IGNORECASE)
ALLOWED = {"password_reset_required"}


def _refs(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def response_schemas(spec: dict[str, Any]) -> set[str]:
    """Names of every component schema reachable from any response, transitively."""
    components = spec["components"]["schemas"]
    pending: set[str] = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            _refs(operation.get("responses", {}), pending)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending |= _refs(components[name], set()) - seen
    return seen


def properties(
    schema: dict[str, Any], components: dict[str, Any], prefix: str = ""
) -> Iterator[str]:
    for name, spec in schema.get("properties", {}).items():
        yield prefix + name
        yield from properties(spec, components, f"{prefix}{name}.")
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            yield from properties(part, components, prefix)


def test_no_response_schema_exposes_a_password_or_hash():
    spec = create_app().openapi()
    names = response_schemas(spec)
    assert {"UserRead", "MeRead", "ApiKeyRead", "TokenRead"} <= names  # the walk sees ours
    offending = [
        f"{schema}.{field}"
        for schema in sorted(names)
        for field in properties(spec["components"]["schemas"][schema], spec["components"])
        if FORBIDDEN.search(field) and field.rsplit(".", 1)[-1] not in ALLOWED
    ]
    assert offending == []


def test_the_walk_would_catch_a_password_field():
    spec = {
        "paths": {"/x": {"get": {"responses": {"200": {"$ref": "#/components/schemas/A"}}}}},
        "components": {
            "schemas": {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"properties": {"password_hash": {"type": "string"}}},
            }
        },
    }
    names = response_schemas(spec)
    assert names == {"A", "B"}
    assert "password_hash" in list(properties(spec["components"]["schemas"]["B"], {}))


def test_openapi_offers_password_flow_and_api_key():
    spec = create_app().openapi()
    schemes = spec["components"]["securitySchemes"]
    oauth = next(s for s in schemes.values() if s["type"] == "oauth2")
    assert oauth["flows"]["password"]["tokenUrl"] == "/token"
    assert any(s["type"] == "apiKey" and s["name"] == "X-API-Key" for s in schemes.values())
    token_body = spec["paths"]["/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token_body


async def test_swagger_authorize_flow_works(client, session):
    """What the Authorize button does: form-post to /token, then send the bearer token."""
    from .helpers import PASSWORD, make_user

    user = await make_user(session)
    response = await client.post(
        "/token",
        data={
            "grant_type": "password",
            "username": user.username,
            "password": PASSWORD,
            "scope": "",
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
