"""Tracing in this process: the spans of database statements and Redis round trips, their
parents, the settings that must refuse to start, and the trace id on every log line.

The whole path (a real server, a real OTLP receiver, SigV4) is in test_tracing_otlp.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import ValidationError
from sqlalchemy import bindparam, text

from courtside import cache as cache_module
from courtside import db, tracing
from courtside.log_fields import trace_id_var
from courtside.settings import get_cache_settings, get_database_settings, reset_settings
from courtside.tracing.settings import TracingSettings, xray_region
from tests.conftest import REDIS_PREFIX, REDIS_URL
from tests.helpers import both_dialects
from tests.servers import free_port


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.setup(exporter=exporter, schedule_delay_millis=600_000)
    yield exporter
    tracing.shutdown()


def finished(exporter: InMemorySpanExporter) -> list[Any]:
    assert tracing.flush()
    return list(exporter.get_finished_spans())


@both_dialects
async def test_each_statement_is_a_client_span_under_the_current_span(
    spans, dialect, postgres_url, sqlite_url
):
    url = postgres_url if dialect == "postgres" else sqlite_url
    engine = db.build_engine(get_database_settings(), url=url)  # tracing on: listener attached
    try:
        with tracing.tracer().start_as_current_span("request") as parent:
            async with engine.connect() as conn:
                value = "never-in-a-span"
                await conn.execute(text("SELECT :value AS v").bindparams(bindparam("value", value)))
                with pytest.raises(Exception, match="no_such_table"):
                    await conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()
    recorded = finished(spans)
    statements = [s for s in recorded if s.kind is SpanKind.CLIENT]
    selects = [s for s in statements if s.name == "SELECT"]
    assert len(selects) == 2, [s.name for s in recorded]
    ok, failed = selects
    server_id = parent.get_span_context().span_id
    for span in statements:
        assert span.parent.span_id == server_id
        assert span.context.trace_id == parent.get_span_context().trace_id
        assert span.attributes["db.system.name"] == (
            "postgresql" if dialect == "postgres" else "sqlite"
        )
        assert "never-in-a-span" not in json.dumps(dict(span.attributes))
    assert ok.attributes["db.operation.name"] == "SELECT"
    assert ok.attributes["db.query.text"].startswith("SELECT")
    assert ok.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.events[0].name == "exception"


async def test_engines_built_with_tracing_off_open_no_span(postgres_url):
    exporter = InMemorySpanExporter()
    engine = db.build_engine(get_database_settings(), url=postgres_url)  # tracing off
    tracing.setup(exporter=exporter, schedule_delay_millis=600_000)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        assert finished(exporter) == []
    finally:
        tracing.shutdown()
        await engine.dispose()


async def test_redis_round_trips_are_client_spans_and_failures_are_recorded(spans, monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("CACHE_PREFIX", f"{REDIS_PREFIX}:traced")
    reset_settings()
    try:
        cache = cache_module.build_cache(get_cache_settings())
    finally:
        monkeypatch.undo()
        reset_settings()
    assert type(cache.backend).__name__ == "TracedBackend"

    async def build() -> bytes:
        return b"value"

    with tracing.tracer().start_as_current_span("request") as parent:
        assert await cache.get_or_build("ns", "key", 60, build) == (b"value", False)
        assert await cache.get_or_build("ns", "key", 60, build) == (b"value", True)
    await cache.close()
    names = [s.name for s in finished(spans) if s.kind is SpanKind.CLIENT]
    assert names == ["redis MGET", "redis SET NX GET", "redis EVALSHA", "redis MGET"]
    for span in finished(spans):
        if span.kind is SpanKind.CLIENT:
            assert span.parent.span_id == parent.get_span_context().span_id
            assert span.attributes["db.system.name"] == "redis"
            assert span.attributes["server.port"] == 6379

    # A Redis that is not there: the span says so, the cache serves a miss.
    down = cache_module.build_cache(
        get_cache_settings().model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    spans.clear()
    assert await down.get_or_build("ns", "key", 60, build) == (b"value", False)
    await down.close()
    (failed,) = [s for s in finished(spans) if s.kind is SpanKind.CLIENT]
    assert failed.name == "redis MGET"
    assert failed.status.status_code is StatusCode.ERROR


def test_the_in_process_cache_and_tracing_off_are_not_wrapped():
    assert tracing.enabled() is False
    settings = get_cache_settings().model_copy(update={"redis_url": REDIS_URL})
    assert isinstance(cache_module.build_cache(settings).backend, cache_module.RedisBackend)
    exporter = InMemorySpanExporter()
    tracing.setup(exporter=exporter)
    try:
        local = cache_module.build_cache(
            get_cache_settings().model_copy(update={"redis_url": None})
        )
        assert isinstance(local.backend, cache_module.MemoryBackend)
    finally:
        tracing.shutdown()


# Settings that cannot work refuse to start -------------------------------------------------


def test_xray_endpoints_are_recognised_with_their_region():
    assert xray_region("https://xray.eu-west-1.amazonaws.com/v1/traces") == "eu-west-1"
    assert xray_region("https://xray.cn-north-1.amazonaws.com.cn/v1/traces") == "cn-north-1"
    assert xray_region("http://127.0.0.1:4318/v1/traces") is None
    assert xray_region("https://xray.eu-west-1.amazonaws.com.evil.example/v1/traces") is None
    assert xray_region(None) is None


@pytest.mark.parametrize("region", [None, "us-east-1"])
def test_an_xray_endpoint_needs_sigv4_for_its_own_region(region):
    with pytest.raises(ValidationError, match="OTEL_EXPORTER_SIGV4_REGION=eu-west-1"):
        TracingSettings(
            otel_exporter_otlp_traces_endpoint="https://xray.eu-west-1.amazonaws.com/v1/traces",
            otel_exporter_sigv4_region=region,
        )
    TracingSettings(
        otel_exporter_otlp_traces_endpoint="https://xray.eu-west-1.amazonaws.com/v1/traces",
        otel_exporter_sigv4_region="eu-west-1",
    )


def test_signing_without_credentials_fails_the_setup(monkeypatch):
    from courtside.tracing.sigv4 import MissingCredentials

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    settings = TracingSettings(
        otel_exporter_otlp_traces_endpoint="https://xray.eu-west-1.amazonaws.com/v1/traces",
        otel_exporter_sigv4_region="eu-west-1",
    )
    with pytest.raises(MissingCredentials, match="AWS_ACCESS_KEY_ID"):
        tracing.setup(settings=settings)
    assert tracing.enabled() is False


# The trace id on the log lines ------------------------------------------------------------


def _record(name: str = "courtside.services.x", message: str = "hello") -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, (), None)


def test_every_line_of_a_traced_request_carries_its_trace_id(monkeypatch):
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import JsonFormatter

    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-11111111-222222222222222222222222;Sampled=0")
    trace = "6741c5a10123456789abcdef01234567"
    token = trace_id_var.set(trace)
    try:
        local = json.loads(JsonFormatter().format(_record()))
        on_lambda = json.loads(LambdaFormatter(service="courtside").format(_record()))
    finally:
        trace_id_var.reset(token)
    assert local["trace_id"] == trace
    assert on_lambda["trace_id"] == trace
    assert on_lambda["xray_trace_id"] == "1-6741c5a1-0123456789abcdef01234567"
    # Outside a traced request: no trace_id, and Powertools' own X-Ray id (Lambda's header).
    assert "trace_id" not in json.loads(JsonFormatter().format(_record()))
    untraced = json.loads(LambdaFormatter(service="courtside").format(_record()))
    assert "trace_id" not in untraced
    assert untraced["xray_trace_id"] == "1-11111111-222222222222222222222222"


def test_the_traced_request_lines_short_way_writes_what_powertools_writes():
    from courtside.lambda_logging import LambdaFormatter
    from courtside.observability import FIELDS

    formatter = LambdaFormatter(service="courtside")
    fields = {"request_id": "r-9", "method": "GET", "path": "/v1/teams", "status": 200}
    first = logging.LogRecord("courtside.request", logging.INFO, "", 1, "GET %s", (1,), None)
    first.__dict__[FIELDS] = dict(fields)
    second = logging.LogRecord("courtside.request", logging.INFO, "", 1, "GET %s", (1,), None)
    second.__dict__[FIELDS] = dict(fields)
    second.created, second.msecs = first.created, first.msecs
    token = trace_id_var.set("0af7651916cd43dd8448eb211c80319c")
    try:
        short, long = formatter.format(first), formatter.powertools_line(second)
    finally:
        trace_id_var.reset(token)
    assert short == long
    line = json.loads(short)
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["xray_trace_id"] == "1-0af76519-16cd43dd8448eb211c80319c"


# The exporter ----------------------------------------------------------------------------


def _some_spans() -> list[Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("test").start_as_current_span("request"):
        pass
    return list(memory.get_finished_spans())


def test_an_endpoint_that_cannot_be_reached_drops_the_batch_with_a_warning(caplog):
    from opentelemetry.sdk.trace.export import SpanExportResult

    from courtside.tracing.export import OtlpHttpSpanExporter

    caplog.set_level(logging.WARNING, logger="courtside.tracing.export")
    endpoint = f"http://127.0.0.1:{free_port()}/v1/traces"
    exporter = OtlpHttpSpanExporter(endpoint, timeout_seconds=1)
    assert exporter.export(_some_spans()) is SpanExportResult.FAILURE
    exporter.shutdown()
    (record,) = [r for r in caplog.records if r.name == "courtside.tracing.export"]
    assert record.getMessage().startswith(f"span export to {endpoint} failed")


def test_a_refusal_is_logged_with_what_the_endpoint_said(caplog):
    from opentelemetry.sdk.trace.export import SpanExportResult

    from courtside.tracing.export import OtlpHttpSpanExporter
    from tests.otlp_receiver import AwsCredentials, OtlpReceiver

    caplog.set_level(logging.WARNING, logger="courtside.tracing.export")
    with OtlpReceiver(credentials=AwsCredentials("AKID", "secret")) as receiver:
        exporter = OtlpHttpSpanExporter(receiver.url, timeout_seconds=1)  # unsigned
        assert exporter.export(_some_spans()) is SpanExportResult.FAILURE
    (record,) = [r for r in caplog.records if r.name == "courtside.tracing.export"]
    assert "refused: 403 not a SigV4 Authorization header" in record.getMessage()
    assert exporter.endpoint == receiver.url
    assert OtlpHttpSpanExporter(None, timeout_seconds=1).endpoint == (
        "http://localhost:4318/v1/traces"
    )


async def test_an_answered_database_error_leaves_the_server_span_as_its_status_says(spans):
    """A conflict is answered 409 by the catch-all handler, which Starlette re-raises after
    the answer: the server span must not turn into an error span carrying SQLAlchemy's
    message (the statement's parameters); a 500 still marks it."""
    import httpx
    from sqlalchemy.exc import IntegrityError

    from courtside.main import create_app

    secret = "someone@example.com"
    app = create_app()

    async def conflict() -> None:
        raise IntegrityError("INSERT INTO users (email) VALUES ($1)", (secret,), Exception("dup"))

    async def crash() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v1/test-conflict", conflict)
    app.add_api_route("/v1/test-crash", crash)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/v1/test-conflict")).status_code == 409
        assert (await client.get("/v1/test-crash")).status_code == 500
    servers = {s.name: s for s in finished(spans) if s.kind is SpanKind.SERVER}
    conflict_span, crash_span = servers["GET /v1/test-conflict"], servers["GET /v1/test-crash"]
    assert conflict_span.status.status_code is not StatusCode.ERROR
    assert secret not in repr(conflict_span.status) + repr(conflict_span.events)
    assert crash_span.status.status_code is StatusCode.ERROR
