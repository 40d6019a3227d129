"""The AWS Lambda entry point of the whole app: `courtside.lambda_handler.handler`.

The image's CMD, and the one function of an ``all-in-one`` deployment; a ``split`` deployment
runs `courtside.lambda_services.<service>.handler` instead. How an entry point initialises its
execution environment, and why Mangum's lifespan is off: `courtside.lambda_runtime`.
"""

from __future__ import annotations

from courtside.lambda_runtime import TEXT_MIME_TYPES, build_handler, handler_for, service_adapter

__all__ = ["TEXT_MIME_TYPES", "build_handler", "handler"]

_adapter = service_adapter(None)
handler = handler_for(_adapter)
