"""Fixtures for the Lambda runtime tests: AWS event payloads, a Lambda context, and the app
with a few routes that echo what the handler delivered (query, cookies, body, URL)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from courtside.settings import reset_settings

EVENTS_DIR = Path(__file__).resolve().parent / "events"

PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005010201a7e0a8ab0000000049454e44ae426082"
)
"""A 1x1 PNG: bytes that are not valid UTF-8, so they must travel base64-encoded."""


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


@dataclass
class LambdaContext:
    """The attributes of awslambdaric's context object that Mangum and the app read."""

    aws_request_id: str = "8f5c1a7e-3b2d-4e6f-9a0b-1c2d3e4f5a6b"
    function_name: str = "courtside-dev-api"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:courtside-dev-api"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/courtside-dev-api"
    log_stream_name: str = "2026/11/23/[$LATEST]0123456789abcdef"
    client_context: Any = None
    identity: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def add_echo_routes(app: FastAPI) -> None:
    """Routes that report what reached the app, on a test-only path prefix."""

    @app.api_route("/_runtime/echo", methods=["GET", "POST", "DELETE"], name="runtime_echo")
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "url": str(request.url),
                "query": request.query_params.multi_items(),
                "cookies": dict(request.cookies),
                "body_b64": base64.b64encode(body).decode(),
                "authorization": request.headers.get("authorization"),
                "host": request.headers.get("host"),
                "scheme": request.url.scheme,
                "client": request.client.host if request.client else None,
            }
        )

    @app.get("/_runtime/cookies")
    async def cookies() -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.set_cookie("session", "s1", httponly=True, secure=True, samesite="lax")
        response.set_cookie("csrf", "c2", secure=True, samesite="strict")
        response.set_cookie("theme", "dark", max_age=3600)
        return response

    @app.get("/_runtime/binary")
    async def binary() -> Response:
        return Response(PNG_BYTES, media_type="image/png")

    @app.get("/_runtime/redirect")
    async def redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.url_for("runtime_echo")), status_code=303)

    @app.get("/_runtime/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")


@pytest.fixture
def lambda_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop Mangum runs the app on, as on Lambda: one loop, current in the thread.

    (pytest-asyncio's loop is not current in a plain test; Mangum would otherwise create a loop
    that nobody closes.)"""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FastAPI]]:
    """Build the real app (with the echo routes) under extra environment variables."""

    def build(**env: str) -> FastAPI:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        reset_settings()
        from courtside.main import create_app

        app = create_app()
        add_echo_routes(app)
        return app

    yield build
    monkeypatch.undo()
    reset_settings()
