"""What a path answers to a method it does not serve, and what the API document says of it.

- `405 Method Not Allowed` with an `Allow` header listing **every** method the path serves
  (RFC 9110 §15.5.6). Starlette's own 405 names only the methods of the first route that
  matched the path, so `DELETE /v1/me/bets` said `Allow: GET` although `POST` is served too.
  `OPTIONS` is such a method: the app serves no CORS and no `OPTIONS`, so it is a 405 like
  the others (with the `Allow` a client asked for). `HEAD` is served where a route says so.
- The OpenAPI document declares both things the app answers outside the operations it lists
  (`document_extras`): the `400` every operation with a body gives for a body that cannot be
  read (not UTF-8 JSON, a malformed form: FastAPI's "error parsing the body"), and the 405
  with its `Allow` header, as a reusable response and in the document's description.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Match

BODY_UNREADABLE = "400"
METHOD_NOT_ALLOWED = "MethodNotAllowed"
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
_NOTE = (
    "A method a path does not list here is answered `405 Method Not Allowed` with an `Allow` "
    "header naming the methods it serves (`OPTIONS` included: no CORS is served). A body that "
    "cannot be read is `400 bad_request`."
)


def allowed_methods(request: Request) -> str:
    """Every method a route of this app serves at the request's path, for `Allow`."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= set(route_methods)
    return ", ".join(sorted(methods))


def document_extras(document: dict[str, Any]) -> dict[str, Any]:
    """Add the 400 and the 405 to an OpenAPI document (idempotent)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    if "ErrorResponse" not in schemas:
        # lazy: the error schemas load only when /openapi.json is built
        from courtside.schemas.common import ErrorResponse

        schemas["ErrorResponse"] = ErrorResponse.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schemas.update(schemas["ErrorResponse"].pop("$defs", {}))
    components.setdefault("responses", {})[METHOD_NOT_ALLOWED] = {
        "description": "The path does not serve this method (OPTIONS included).",
        "headers": {
            "Allow": {
                "description": "Every method the path serves, comma-separated.",
                "schema": {"type": "string", "example": "GET, POST"},
            }
        },
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
    info = document.setdefault("info", {})
    if _NOTE not in info.get("description", ""):
        info["description"] = f"{info.get('description', '')}\n\n{_NOTE}".strip()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault(
                    BODY_UNREADABLE,
                    {
                        "description": "The body cannot be read: not UTF-8 JSON, or a "
                        "malformed form.",
                        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                    },
                )
    return document
