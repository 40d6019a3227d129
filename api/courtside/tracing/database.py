"""A client span per SQL statement, from the engine's own events (imported with tracing on only).

`trace_statements(engine)` listens to `before_cursor_execute` / `after_cursor_execute` (and
`handle_error`) on the engine: each statement sent to the database becomes a span, a child of
whatever span is current (the request's server span). The async engine runs these sync events
in a greenlet that shares the request's context, so the parent is right.

A listener of our own rather than `opentelemetry-instrumentation-sqlalchemy`: that package
brings `opentelemetry-instrumentation`, `wrapt` and a comment-injection feature we do not want,
for what is twenty lines here. The statement text is SQLAlchemy's, with bound parameters as
placeholders: values never reach a span.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from courtside import tracing

MAX_QUERY_TEXT = 2000
"""Characters of the statement kept in `db.query.text` (X-Ray limits attribute sizes)."""
_SPAN = "courtside_statement_span"
"""The connection's `info` key holding the span of its statement in flight (a connection runs
one statement at a time)."""
_SYSTEMS = {"postgresql": "postgresql", "sqlite": "sqlite"}


def trace_statements(engine: AsyncEngine) -> None:
    """Open and close a span around every statement `engine` executes."""
    sync_engine = engine.sync_engine
    url = sync_engine.url
    attributes: dict[str, str | int] = {
        "db.system.name": _SYSTEMS.get(sync_engine.dialect.name, sync_engine.dialect.name)
    }
    if url.database:
        attributes["db.namespace"] = url.database
    if url.host:
        attributes["server.address"] = url.host
    if url.port:
        attributes["server.port"] = url.port

    def before(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool
    ) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracing.tracer().start_span(
            operation,
            kind=SpanKind.CLIENT,
            attributes={
                **attributes,
                "db.operation.name": operation,
                "db.query.text": statement[:MAX_QUERY_TEXT],
                **({"courtside.executemany": True} if many else {}),
            },
        )
        interrupted = conn.info.pop(_SPAN, None)
        if interrupted is not None:  # its statement never finished (a cancelled request)
            interrupted.set_status(Status(StatusCode.ERROR, "interrupted"))
            interrupted.end()
        conn.info[_SPAN] = span

    def after(conn: Any, *_args: Any) -> None:
        span = conn.info.pop(_SPAN, None)
        if span is not None:
            span.end()

    def failed(context: Any) -> None:
        connection = context.connection
        span = connection.info.pop(_SPAN, None) if connection is not None else None
        if span is not None:
            error = context.original_exception
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)
