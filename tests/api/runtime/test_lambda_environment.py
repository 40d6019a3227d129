"""Once-per-execution-environment work: the handler initialises once, Mangum's per-invocation
lifespan cycle is off, and the engine/cache survive across invocations. Tracing is flushed
after every invocation."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI

from courtside import cache, tracing
from tests.api.runtime.conftest import LambdaContext, load_event

INVOCATIONS = 50


def health_event() -> dict[str, Any]:
    event = load_event("function_url_teams.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/health"
    event["rawQueryString"] = ""
    return event


def test_environment_initialises_once_across_many_invocations(lambda_loop):
    import courtside.lambda_handler as lh
    from courtside import lambda_runtime

    event = health_event()
    first = lh.handler(event, LambdaContext(aws_request_id="req-0"))
    assert first["statusCode"] == 200
    shared_cache = cache.get_cache()
    for n in range(1, INVOCATIONS):
        response = lh.handler(event, LambdaContext(aws_request_id=f"req-{n}"))
        assert response["statusCode"] == 200
        assert response["headers"]["x-request-id"] == f"req-{n}"
    assert lambda_runtime.init_count == 1
    assert lh._adapter.lifespan == "off"
    # With a lifespan cycle per invocation, the app's shutdown would have replaced these.
    assert cache.get_cache() is shared_cache


def _counting_app() -> tuple[FastAPI, dict[str, int]]:
    counts = {"startup": 0, "shutdown": 0}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        counts["startup"] += 1
        yield
        counts["shutdown"] += 1

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app, counts


def test_lifespan_never_runs_per_invocation(lambda_loop):
    from mangum import Mangum

    from courtside.lambda_handler import build_handler

    app, counts = _counting_app()
    ours = build_handler(app)
    for _ in range(10):
        assert ours(health_event(), LambdaContext())["statusCode"] == 200
    assert counts == {"startup": 0, "shutdown": 0}

    # What "auto" would have done (Mangum 0.22): a startup and a shutdown per request.
    auto = Mangum(app, lifespan="auto")
    for _ in range(3):
        auto(health_event(), LambdaContext())
    assert counts == {"startup": 3, "shutdown": 3}


@pytest.fixture
def in_memory_spans():
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    # A batch that would wait ten minutes: spans show up only when something flushes.
    tracing.setup(exporter=exporter, schedule_delay_millis=600_000)
    yield exporter
    tracing.shutdown()


def test_spans_are_flushed_at_the_end_of_each_invocation(lambda_loop, in_memory_spans):
    import courtside.lambda_handler as lh

    lh.handler(health_event(), LambdaContext(aws_request_id="trace-1"))
    spans = in_memory_spans.get_finished_spans()
    assert len(spans) == 1
    span = spans[0]
    assert span.name == "GET /health"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["http.route"] == "/health"
    assert span.attributes["courtside.request_id"] == "trace-1"
    lh.handler(health_event(), LambdaContext(aws_request_id="trace-2"))
    assert len(in_memory_spans.get_finished_spans()) == 2


def test_otel_enabled_without_the_sdk_is_a_clear_startup_error(lambda_loop, monkeypatch):
    import courtside.lambda_handler  # noqa: F401  (the environment, initialised once)
    from courtside import lambda_runtime
    from courtside.settings import reset_settings

    monkeypatch.setenv("OTEL_ENABLED", "true")
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    reset_settings()
    try:
        with pytest.raises(RuntimeError, match=r"requirements-otel\.txt"):
            lambda_runtime.init_environment()
    finally:
        monkeypatch.undo()
        reset_settings()
    assert lambda_runtime.init_count == 1
