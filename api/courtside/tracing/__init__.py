"""OpenTelemetry tracing: off unless `OTEL_ENABLED=true`; then every request is one trace.

A trace is the request's server span (opened by `courtside.edge`) with a client span under it
for each database statement (`tracing.database`) and each Redis round trip (`tracing.cache`).
Spans are batched (`tracing.provider`) and posted as OTLP/HTTP protobuf (`tracing.export`),
signed with SigV4 when they go to X-Ray (`tracing.sigv4`); the Lambda handler flushes them after
every invocation, before Lambda freezes the environment.

This module is all the request path touches. It imports nothing of OpenTelemetry: with
tracing off, `enabled()` is the whole cost, and the SDK is imported by `setup` only. Its
packages (`api/requirements-otel.txt`) are in the image built with `WITH_OTEL=true` only;
`setup` fails loudly when they are missing.

Incoming `traceparent` headers are ignored: every request starts a trace of its own. The API is
public, and a caller must not choose our trace ids or switch our sampling off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import Scope

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

    from courtside.tracing.settings import TracingSettings

OTEL_MISSING = (
    "OTEL_ENABLED=true but the OpenTelemetry SDK is not installed. Install "
    "api/requirements-otel.txt (image: docker build --build-arg WITH_OTEL=true) "
    "or set OTEL_ENABLED=false."
)

_tracer: Tracer | None = None
_provider: TracerProvider | None = None
_flush_timeout_ms = 1000


def setup(
    *,
    settings: TracingSettings | None = None,
    exporter: SpanExporter | None = None,
    schedule_delay_millis: int | None = None,
) -> None:
    """Install the tracer provider (once per process). `exporter` replaces the OTLP exporter
    the settings describe (tests); `schedule_delay_millis`, the batch's export interval
    (default `OTEL_BSP_SCHEDULE_DELAY`, else 5 s).

    Raises RuntimeError saying what to install when the OpenTelemetry packages are missing,
    and pydantic's ValidationError for settings that cannot work (an unsigned X-Ray endpoint).
    """
    global _tracer, _provider, _flush_timeout_ms
    if _provider is not None:
        return
    # lazy: OpenTelemetry (~150 ms) loads only when tracing is on
    from courtside.tracing.provider import build_provider
    from courtside.tracing.settings import TracingSettings

    settings = settings or TracingSettings()
    try:
        provider = build_provider(
            settings, exporter=exporter, schedule_delay_millis=schedule_delay_millis
        )
    except ImportError as exc:
        raise RuntimeError(OTEL_MISSING) from exc
    _flush_timeout_ms = settings.otel_flush_timeout_ms
    _provider = provider
    _tracer = provider.get_tracer("courtside")


def enabled() -> bool:
    return _tracer is not None


def tracer() -> Tracer:
    """The app's tracer (only once `setup` has run)."""
    assert _tracer is not None, "tracing is off"
    return _tracer


def flush() -> bool:
    """Export every finished span now: Lambda may freeze the environment as soon as the
    response is returned. Waits at most `OTEL_FLUSH_TIMEOUT_MS`; False if that ran out."""
    if _provider is None:
        return True
    return bool(_provider.force_flush(_flush_timeout_ms))


def shutdown() -> None:
    """Flush and drop the tracer provider (process exit; tests)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = None
    _provider = None


# The server span of a request (`courtside.edge`) -------------------------------------------


def start_server_span(scope: Scope, request_id: str) -> Span:
    """Open the server span of a request: a new trace (see the module docstring)."""
    # lazy: OpenTelemetry loads only when tracing is on
    from opentelemetry.context import Context
    from opentelemetry.trace import SpanKind

    return tracer().start_span(
        f"{scope['method']} {scope['path']}",
        context=Context(),  # a root span, whatever the caller's context holds
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": scope["method"],
            "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"),
            "courtside.request_id": request_id,
        },
    )


def activate(span: Span) -> Any:
    """A context manager making `span` the parent of the spans opened inside it.

    An exception passing through it neither marks the span nor is recorded on it: Starlette's
    error middleware re-raises what its handler already answered (a conflict's 409, a bad
    value's 422, whose SQLAlchemy message holds the statement's parameters), and the span's
    status is the answer's (`end_server_span`: an error from 500 up)."""
    # lazy: OpenTelemetry loads only when tracing is on
    from opentelemetry.trace import use_span

    return use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False)


def end_server_span(span: Span, scope: Scope, status: int) -> None:
    route = getattr(scope.get("route"), "path", None)
    if isinstance(route, str):
        span.set_attribute("http.route", route)
        span.update_name(f"{scope['method']} {route}")
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        # lazy: OpenTelemetry loads only when tracing is on
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR))
    span.end()


def trace_id(span: Span) -> str:
    """The span's trace id as W3C hex (32 digits): what OTLP carries and Transaction Search
    stores; X-Ray shows it as `1-<first 8>-<last 24>` (`xray_trace_id`)."""
    return format(span.get_span_context().trace_id, "032x")


def xray_trace_id(w3c_trace_id: str) -> str:
    """A W3C trace id in X-Ray's notation: `1-` + the first 8 hex digits + `-` + the rest."""
    return f"1-{w3c_trace_id[:8]}-{w3c_trace_id[8:]}"
