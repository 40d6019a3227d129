"""What every log line of a request shares, whichever formatter writes it.

A leaf module: `observability` (the local JSON formatter, logging set-up) and
`lambda_logging` (Powertools' formatter on Lambda) both read these, and neither imports the
other's formatter at module level.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("courtside_request_id", default=None)
"""The id of the request being served (every log line of that request carries it)."""

trace_id_var: ContextVar[str | None] = ContextVar("courtside_trace_id", default=None)
"""With tracing on, the request's trace id, W3C hex (every log line of the request carries it
as `trace_id`; on Lambda `xray_trace_id` is the same trace in X-Ray's notation)."""

FIELDS = "courtside_fields"
"""`extra={FIELDS: {...}}`: the fields of a log line, given as one dict (the per-request line,
so the formatter need not search the record's attributes for them)."""


_UTC_SUFFIX = "+00:00"
_second: tuple[float, str] = (math.nan, "")
"""The last whole second `utc_milliseconds` wrote, and its text up to the seconds."""


def utc_milliseconds(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, the text
    both formatters write as a line's timestamp (`2026-12-07T01:17:42.123+00:00`).

    Building the aware `datetime` cost ~20 k instructions a line; the date and time up to the
    seconds change once a second, so they are kept for the last second written and only the
    milliseconds are computed per line. The split into second and microseconds is CPython's
    own (`pytime_double_to_denominator`: `modf`, then round half to even, a carry into the
    next second), so the text is the same to the millisecond; a test compares both over
    many timestamps, second and rounding edges included."""
    global _second
    fraction, whole = math.modf(created)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        micro -= 1_000_000
        whole += 1.0
    elif micro < 0:
        micro += 1_000_000
        whole -= 1.0
    second, text = _second
    if whole != second:
        text = datetime.fromtimestamp(whole, UTC).isoformat(timespec="seconds")[: -len(_UTC_SUFFIX)]
        _second = (whole, text)
    return f"{text}.{micro // 1000:03d}{_UTC_SUFFIX}"
