"""What every log line of a request shares, whichever formatter writes it.

A leaf module: `observability` (the local JSON formatter, logging set-up) and
`lambda_logging` (Powertools' formatter on Lambda) both read these, and neither imports the
other's formatter at module level.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("courtside_request_id", default=None)
"""The id of the request being served (every log line of that request carries it)."""

FIELDS = "courtside_fields"
"""`extra={FIELDS: {...}}`: the fields of a log line, given as one dict (the per-request line,
so the formatter need not search the record's attributes for them)."""
