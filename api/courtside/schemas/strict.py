"""Input types that accept what the OpenAPI document says and nothing pydantic would coerce.

Pydantic's lax mode reads `?date=0` as 1 January 1970 and `?until=0.5` as half a second
after the epoch (Unix timestamps), and `{"enabled": 0}` as false; the document says a date,
a date-time and a boolean. These refuse the coercions with a 422, so the spec and the app
agree (what they accept is unchanged otherwise, and so is the document).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?"
)


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    if isinstance(value, datetime) or not isinstance(value, str | date):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _iso_date_time(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE_TIME.fullmatch(value):
        raise ValueError("a date-time is written in ISO 8601, e.g. 2026-12-01T18:30:00Z")
    if not isinstance(value, str | datetime):
        raise ValueError("a date-time is written in ISO 8601, e.g. 2026-12-01T18:30:00Z")
    return value


def _json_boolean(value: object) -> object:
    if not isinstance(value, bool):
        raise ValueError("a boolean is true or false")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A day, `YYYY-MM-DD` (not a timestamp, not a date-time)."""
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_date_time)]
"""An instant in ISO 8601 (a day alone is midnight), never a number."""
JsonTrue = Annotated[Literal[True], BeforeValidator(_json_boolean)]
"""The JSON literal `true` only (not `1`)."""
JsonBool = Annotated[bool, BeforeValidator(_json_boolean)]
"""`true` or `false` only (not `0`, `1`, `"yes"`)."""
