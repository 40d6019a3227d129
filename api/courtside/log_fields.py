"""What every log line of a request shares, whichever formatter writes it.

A leaf module: `observability` (the local JSON formatter, logging set-up) and
`lambda_logging` (Powertools' formatter on Lambda) both read these, and neither imports the
other's formatter at module level.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("courtside_request_id", default=None)
"""The id of the request being served (every log line of that request carries it)."""

trace_id_var: ContextVar[str | None] = ContextVar("courtside_trace_id", default=None)
"""With tracing on, the request's trace id, W3C hex (every log line of the request carries it
as `trace_id`; on Lambda `xray_trace_id` is the same trace in X-Ray's notation)."""

FIELDS = "courtside_fields"
"""`extra={FIELDS: {...}}`: the fields of a log line, given as one dict (the per-request line,
so the formatter need not search the record's attributes for them)."""
