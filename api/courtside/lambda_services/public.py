"""The Lambda entry point of the `public` service: `courtside.lambda_services.public.handler`."""

from __future__ import annotations

from courtside.lambda_runtime import handler_for, service_adapter

_adapter = service_adapter("public")
handler = handler_for(_adapter)
