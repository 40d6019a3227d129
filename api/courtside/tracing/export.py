"""The span exporter: OTLP over HTTP (protobuf), one POST per batch, signed for X-Ray if asked.

A small exporter of our own rather than `opentelemetry-exporter-otlp-proto-http`, for the cold
start and for the Lambda request path: that package pulls in `requests` (with
`charset_normalizer` and `idna`) and its own metrics, about a quarter of what tracing costs at
init (docs/observability.md), and retries with exponential back-off for up to its timeout,
which the response of an invocation would wait for. Here:

- the body is what the OTLP exporters send, `ExportTraceServiceRequest` encoded by
  `opentelemetry-exporter-otlp-proto-common`, `Content-Type: application/x-protobuf`;
- it goes over a pooled urllib3 connection (urllib3 comes with botocore anyway), signed by
  `tracing.sigv4` when the settings say so, within one timeout;
- a connection the endpoint closed while Lambda froze the environment is retried once at
  once; anything else that fails (a refusal, a 5xx, a timeout) drops the batch and logs one
  warning with the status and the start of the answer (X-Ray says why: a missing permission,
  Transaction Search off): spans are never worth delaying a request twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import urllib3
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"
"""The OTLP/HTTP default (a collector on this host)."""

Signer = Callable[[str, str, bytes, Mapping[str, str]], Mapping[str, str]]
"""(method, url, body, headers) -> the headers that sign the request."""


class OtlpHttpSpanExporter(SpanExporter):
    """Posts each batch to `endpoint` (see the module docstring)."""

    def __init__(
        self, endpoint: str | None, *, timeout_seconds: float, signer: Signer | None = None
    ) -> None:
        self.endpoint = endpoint or DEFAULT_ENDPOINT
        self._signer = signer
        self._pool = urllib3.PoolManager(
            maxsize=1,
            timeout=urllib3.Timeout(total=timeout_seconds),
            # A failed connection is tried once more, at once; a request that may have reached
            # the endpoint (a read error, a timeout, any answer) is not. A pooled connection the
            # endpoint closed during a freeze is replaced at checkout by urllib3 itself.
            retries=urllib3.Retry(total=1, read=0, status=0, redirect=0),
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = encode_spans(spans).SerializeToString()
        headers = {"Content-Type": "application/x-protobuf"}
        if self._signer is not None:
            headers.update(self._signer("POST", self.endpoint, body, headers))
        try:
            response = self._pool.request("POST", self.endpoint, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            log.warning("span export to %s failed: %s", self.endpoint, exc)
            return SpanExportResult.FAILURE
        if not 200 <= response.status < 300:
            log.warning(
                "span export to %s refused: %s %s",
                self.endpoint,
                response.status,
                response.data[:300].decode("utf-8", "replace"),
            )
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._pool.clear()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
