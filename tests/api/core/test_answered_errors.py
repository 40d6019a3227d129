"""An error the app has already answered ends there: it does not reach the server.

Starlette's error middleware sends the response of the catch-all handler (a 503 for a driver
error no handler knows by class, such as asyncpg's "connection is closed" from a connection
killed while it was being set up; a 500 otherwise) and then re-raises; uvicorn closes a
keep-alive connection on any exception after a started response, so the client's next request
on it failed. `Edge` stops the exception once the whole response has been sent (the handler
has logged it). With `raise_app_exceptions` on, the test transport would raise it.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from asyncpg.exceptions import InterfaceError


async def _get(app: object, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # raises app errors
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def test_a_raw_driver_error_is_a_503_and_goes_no_further(app, caplog):
    async def killed_while_connecting() -> None:
        raise InterfaceError("connection is closed")

    app.add_api_route("/v1/killed", killed_while_connecting)
    with caplog.at_level(logging.ERROR):
        response = await _get(app, "/v1/killed")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]


async def test_an_unexpected_error_is_a_500_logged_once_and_goes_no_further(app, caplog):
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/boom", boom)
    with caplog.at_level(logging.ERROR):
        response = await _get(app, "/v1/boom")
    assert response.status_code == 500
    logged = [r for r in caplog.records if "unhandled error" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


async def test_an_error_before_any_response_still_propagates():
    """Nothing was answered: the server must see it (and answer 500 itself)."""
    from starlette.types import Receive, Scope, Send

    from courtside.edge import Edge

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("before the response")

    with pytest.raises(RuntimeError, match="before the response"):
        await _get(Edge(broken, max_body_bytes=1024), "/")
