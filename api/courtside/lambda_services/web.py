"""The Lambda entry point of the `web` service: `courtside.lambda_services.web.handler`."""

from __future__ import annotations

from courtside.lambda_runtime import handler_for, service_adapter

_adapter = service_adapter("web")
handler = handler_for(_adapter)
