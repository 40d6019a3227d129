"""The Lambda entry point of the `ingest` service: `courtside.lambda_services.ingest.handler`."""

from __future__ import annotations

from courtside.lambda_runtime import handler_for, service_adapter

_adapter = service_adapter("ingest")
handler = handler_for(_adapter)
