"""What every AWS Lambda entry point shares: one environment, one app, one Mangum adapter.

The entry points are `courtside.lambda_handler.handler` (the whole app: the image's CMD, and
the one function of an ``all-in-one`` deployment) and `courtside.lambda_services.<name>.handler`
(one service of `courtside.services_registry` each, selected per function by overriding the
image's command in a ``split`` deployment). Each is a module that builds its handler at import,
so the work is done in Lambda's init phase and exactly one app exists per process.

Mangum adapts Function URL (payload 2.0), API Gateway HTTP API (v1/v2) and REST API events
to ASGI. Its lifespan is **off** on purpose: Mangum 0.22 runs a whole lifespan cycle (startup
*and shutdown*) around every invocation when lifespan is "auto"/"on", which would dispose the
database engine and the Redis client after each request. Once-per-execution-environment work
is done at import instead, by `init_environment`:

- JSON logging on the runtime's handler in Powertools for AWS Lambda's format, the request id
  as correlation id (`courtside.lambda_logging`), settings read and validated (a bad setting
  fails the init, not the first request), tracing installed when `OTEL_ENABLED=true`
  (`courtside.tracing`: the SDK, the exporter and its SigV4 signer imported now, in the init
  phase, and a setting that cannot work fails the init);
- the app built once; each route group loads on its first request (`route_groups`), so
  the init phase, which Lambda bills too, builds nothing a request may not need. The
  engine, the Redis client and the secrets they need are created on first use and then
  reused by every invocation the environment serves.

After each invocation finished spans are flushed, because Lambda may freeze the environment
as soon as the response is returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mangum import Mangum

from courtside import observability, tracing
from courtside.settings import (
    get_app_settings,
    get_cache_settings,
    get_database_settings,
    on_lambda,
)

TEXT_MIME_TYPES = [
    "text/",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "application/vnd.oai.openapi",
    "image/svg+xml",
]
"""Response types returned as text; anything else is base64-encoded (binary-safe)."""

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

init_count = 0
"""How many times this process initialised its execution environment (always 1)."""


def build_handler(app: Any) -> Mangum:
    """A Mangum adapter for `app`, with lifespan off (see the module docstring)."""
    return Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)


def init_environment() -> None:
    """Settings, logging and tracing of this execution environment (once, at import)."""
    global init_count
    settings = get_app_settings()
    get_database_settings()
    get_cache_settings()
    observability.configure_logging(settings.log_level, on_lambda=on_lambda())
    # Mangum logs every request at INFO; courtside.edge already writes the one line we want.
    logging.getLogger("mangum").setLevel(logging.WARNING)
    if settings.otel_enabled:
        tracing.setup()
    init_count += 1


def service_adapter(service: str | None) -> Mangum:
    """Initialise the environment and build the adapter of one service (None: the whole app)."""
    init_environment()
    if service is None:
        # lazy: the whole app loads only for the all-in-one handler
        from courtside.main import app
    else:
        # lazy: each service imports only its own route groups (main.create_app)
        from courtside.main import create_app

        app = create_app(service=service)
    return build_handler(app)


def handler_for(adapter: Mangum) -> Handler:
    """The Lambda handler answering with `adapter`, flushing traces after each invocation."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Answer one Lambda event; reuses everything the environment has already built."""
        try:
            return adapter(event, context)
        finally:
            tracing.flush()

    return handler
