"""Structured logs and request ids (tracing: `courtside.tracing`).

- `configure_logging(level)`: every log record becomes one JSON line (`timestamp`, `level`,
  `logger`, `message`, `request_id`, with tracing on `trace_id`, any `extra=` fields,
  `exception`). On Lambda the lines are
  Powertools for AWS Lambda's (`courtside.lambda_logging`: the request id is the
  `correlation_id`), written by the runtime's own root handler, which frames multi-line
  records as one CloudWatch event.
- `request_id_for(scope)`: each request's id — the Lambda request id on Lambda (Mangum puts
  the context in the scope as `aws.context`), else a well-formed incoming `X-Request-ID`, else
  a new one. `courtside.edge` echoes it as `X-Request-ID`, logs one line per request with
  method, path, status and latency_ms, and with tracing on opens the server span.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any

from starlette.types import Scope

from courtside.log_fields import FIELDS as FIELDS
from courtside.log_fields import request_id_var as request_id_var
from courtside.log_fields import trace_id_var, utc_milliseconds

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "aws_request_id", "tenant_id", "_frame_type", "taskName"}
)


_ENCODE = json.JSONEncoder(default=str).encode
"""`json.dumps(entry, default=str)` without building a `JSONEncoder` per line (`dumps` only
reuses its shared encoder when called without options): the same text, one line per request."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record. `newline` for handlers that expect it (the Lambda runtime's)."""

    def __init__(self, *, newline: bool = False) -> None:
        super().__init__()
        self._end = "\n" if newline else ""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": utc_milliseconds(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get() or getattr(record, "aws_request_id", None)
        if request_id:
            entry["request_id"] = request_id
        trace_id = trace_id_var.get()
        if trace_id:
            entry["trace_id"] = trace_id
        fields = record.__dict__.get(FIELDS)
        if fields is not None:  # the request log line: its fields, nothing to search for
            entry.update(fields)
        else:
            for key, value in vars(record).items():
                if key not in _RECORD_FIELDS and not key.startswith("_"):
                    entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _ENCODE(entry) + self._end


class _StdoutHandler(logging.Handler):
    """Writes each record as a line to whatever `sys.stdout` is at emit time (test runners
    swap it)."""

    courtside = True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stdout
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


def configure_logging(level: str = "INFO", *, on_lambda: bool = False) -> None:
    """JSON logs on the root logger at `level`. Idempotent.

    On Lambda the runtime's root handler gets Powertools' formatter
    (`courtside.lambda_logging.LambdaFormatter`, imported only then); elsewhere a stdout
    handler with `JsonFormatter` is added once (other handlers, such as a test runner's, are
    left alone). A Lambda process without the runtime's handler (a handler called directly)
    gets the stdout handler with Powertools' formatter.
    """
    root = logging.getLogger()
    root.setLevel(level.upper())
    formatter: logging.Formatter = JsonFormatter()
    if on_lambda:
        # lazy: Powertools' formatter loads only on Lambda
        from courtside.lambda_logging import LambdaFormatter

        # The JSON lines carry none of these, so skip computing them on every record (the
        # logging HOWTO's "Optimization" section): saves ~15 us per request log line.
        logging._srcfile = None
        logging.logThreads = False
        logging.logProcesses = False
        logging.logMultiprocessing = False
        # Python 3.12+ (Lambda's): else every line carries `taskName`.
        setattr(logging, "logAsyncioTasks", False)  # noqa: B010 - not in 3.11's stubs
        if root.handlers:
            for handler in root.handlers:
                ours = getattr(handler, "courtside", False)  # writes its own newline
                handler.setFormatter(LambdaFormatter(newline=not ours))
            return
        formatter = LambdaFormatter()
    if not any(getattr(handler, "courtside", False) for handler in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(formatter)
        root.addHandler(handler)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def request_id_for(scope: Scope) -> str:
    """The Lambda request id, else a well-formed `X-Request-ID`, else a new id."""
    context = scope.get("aws.context")
    lambda_id = getattr(context, "aws_request_id", None)
    if isinstance(lambda_id, str) and lambda_id:
        return lambda_id
    incoming = _header(scope, b"x-request-id")
    if incoming is not None:
        candidate = incoming.decode("latin-1")
        if _REQUEST_ID_PATTERN.fullmatch(candidate):
            return candidate
    return new_request_id()


_UUID4_CLEAR = ~(0xC000 << 48) & ~(0xF000 << 64)
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def new_request_id() -> str:
    """`uuid.uuid4().hex` without building the `UUID` (a third of the cost, on every request
    that brings no id): 16 random bytes with the version (4) and variant bits set as
    `uuid.UUID(bytes=..., version=4)` sets them, in 32 lower-case hex digits."""
    value = int.from_bytes(os.urandom(16), "big")
    return f"{value & _UUID4_CLEAR | _UUID4_SET:032x}"
