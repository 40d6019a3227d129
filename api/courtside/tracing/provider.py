"""The tracer provider: spans batched to an OTLP/HTTP exporter (imported by `tracing.setup`).

The exporter (`tracing.export`) posts protobuf to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. With
`OTEL_EXPORTER_SIGV4_REGION` every request is signed for X-Ray (`tracing.sigv4`): what its OTLP
endpoint, `https://xray.<region>.amazonaws.com/v1/traces`, requires. No collector: a container
image cannot take Lambda layers, and a collector in the image would be a second process to run,
to size and to flush (docs/observability.md).

The SDK's imports are inside `build_provider`, so a missing package is an ImportError there
(which `tracing.setup` turns into instructions), whatever was imported before.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from courtside.tracing.settings import TracingSettings


def build_provider(
    settings: TracingSettings,
    *,
    exporter: SpanExporter | None = None,
    schedule_delay_millis: int | None = None,
) -> TracerProvider:
    """A provider whose spans carry `service.name` and go, batched, to `exporter` (default:
    the OTLP exporter `settings` describe)."""
    # lazy: the OpenTelemetry SDK loads only when tracing is on
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {"service.name": settings.otel_service_name}
    environment = os.environ.get("ENVIRONMENT")
    if environment:
        attributes["deployment.environment.name"] = environment
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter or otlp_exporter(settings),
            schedule_delay_millis=schedule_delay_millis,
            export_timeout_millis=settings.otel_flush_timeout_ms,
        )
    )
    return provider


def otlp_exporter(settings: TracingSettings) -> SpanExporter:
    """OTLP over HTTP (protobuf) to the configured endpoint, signed when asked. Its request
    timeout is the flush timeout: a slow endpoint delays an invocation that long at most."""
    # lazy: the exporter loads only when one is configured
    from courtside.tracing.export import OtlpHttpSpanExporter

    signer = None
    if settings.otel_exporter_sigv4_region:
        # lazy: botocore's signer loads only when spans go to X-Ray
        from courtside.tracing.sigv4 import SigV4Signer

        signer = SigV4Signer(region=settings.otel_exporter_sigv4_region)
    return OtlpHttpSpanExporter(
        settings.otel_exporter_otlp_traces_endpoint,
        timeout_seconds=settings.otel_flush_timeout_ms / 1000,
        signer=signer,
    )
