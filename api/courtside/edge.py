"""The app's one middleware layer: what every request and response goes through.

It wraps the whole FastAPI stack (Starlette's error middleware included, so a 500 gets the
same headers), and in one pass:

- behind CloudFront only, restores the viewer's host, scheme and Authorization
  (`proxy_headers.rewrite_scope`);
- refuses bodies over the limit with 413, by Content-Length or while reading a chunked body
  (a GET's too);
- gives the request an id (`observability.request_id_for`), returns it as `X-Request-ID`
  and writes one JSON log line; with tracing on, opens the request's server span (a new
  trace, `courtside.tracing`) and puts its trace id on every log line of the request;
- adds the security headers (`security_headers`) unless the route set its own;
- marks per-visitor responses `Cache-Control: private, no-store` and sets the anonymous
  CSRF cookie a page asked for (`request_state`);
- keeps the connection when an error was already answered: Starlette's error middleware
  sends the catch-all handler's response (a 500; a 503 for a driver error no handler knows
  by class; SQLAlchemy's errors, answered there: 503, 409 or 422) and then re-raises, and
  uvicorn closes a keep-alive connection on any exception that follows a started response,
  so the client's next request on it failed. Once the whole response has been sent, the
  exception (already logged by the handler) stops here.

One layer instead of five: each pure-ASGI layer costs a coroutine call and a `send`
wrapper per message on every request (see docs/performance.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from courtside import observability, request_state, tracing
from courtside.log_fields import trace_id_var
from courtside.observability import REQUEST_ID_HEADER, request_id_for, request_id_var
from courtside.proxy_headers import rewrite_scope
from courtside.security_headers import SECURITY_HEADER_NAMES, SECURITY_HEADERS

_REQUEST_LOGGER = logging.getLogger("courtside.request")
_ERROR_LOGGER = logging.getLogger("courtside.edge")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()
_PRIVATE = (b"cache-control", b"private, no-store")
_BODYLESS = ("GET", "HEAD")
"""Methods whose request without a Content-Length or a Transfer-Encoding has no body."""


class Edge:
    """See the module docstring. `path_limits` maps path prefixes to their own body limit
    (the ingestion API's larger batches); the longest matching prefix wins."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        path_limits: Mapping[str, int] | None = None,
        behind_cloudfront: bool = False,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = sorted((path_limits or {}).items(), key=lambda item: -len(item[0]))
        self.behind_cloudfront = behind_cloudfront

    def body_limit(self, path: str) -> int:
        for prefix, limit in self.path_limits:
            if path.startswith(prefix):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.behind_cloudfront:
            scope = rewrite_scope(scope)
        started = perf_counter()
        request_id = request_id_for(scope)
        token = request_id_var.set(request_id)
        request_id_header = (_REQUEST_ID, request_id.encode())
        status = 500
        answered = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", ())
                await send(
                    {**message, "headers": _response_headers(scope, headers, request_id_header)}
                )
                return
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                answered = True

        span = tracing.start_server_span(scope, request_id) if tracing.enabled() else None
        trace_token = trace_id_var.set(tracing.trace_id(span)) if span is not None else None
        try:
            declared, chunked = _body_framing(scope)
            if declared is None and not chunked and scope["method"] in _BODYLESS:
                # The common case, a GET or HEAD without a body: nothing to limit.
                call = self.app(scope, receive, send_with_headers)
            else:
                call = self._limited(scope, receive, send_with_headers, declared)
            if span is None:
                await call
            else:
                with tracing.activate(span):
                    await call
        except Exception:
            if not answered:
                raise
            _ERROR_LOGGER.debug("error after a complete response, kept the connection")
        finally:
            if span is not None:
                tracing.end_server_span(span, scope, status)
            if _REQUEST_LOGGER.isEnabledFor(logging.INFO):
                _log_request(scope, status, request_id, started)
            if trace_token is not None:
                trace_id_var.reset(trace_token)
            request_id_var.reset(token)

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, declared: int | None
    ) -> None:
        """Call the app, unless the body is over the path's limit (413). `declared`: the
        request's Content-Length."""
        limit = self.body_limit(scope["path"])
        if declared is not None:
            # The server frames the body by Content-Length, so the header is the whole truth.
            if declared > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked, a GET's too): read up to the limit before the app sees
        # anything, so an oversized body is a clean 413 rather than a parse error half-way.
        buffered: list[Message] = []
        received = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            received += len(message.get("body", b""))
            if received > limit:
                await _too_large(send, limit)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)


def _response_headers(
    scope: Scope,
    headers: Iterable[tuple[bytes, bytes]],
    request_id_header: tuple[bytes, bytes],
) -> list[tuple[bytes, bytes]]:
    """The response's headers (a new list), the security headers and the private marking
    added, then the anonymous CSRF cookie and `X-Request-ID`."""
    if type(headers) is not list and type(headers) is not tuple:
        headers = list(headers)  # ASGI allows any iterable; it is read twice below
    # Starlette's header names are lower-case already.
    own = [name for name, _ in headers if name in SECURITY_HEADER_NAMES]
    if own:
        headers = [*headers, *(item for item in SECURITY_HEADERS if item[0] not in own)]
    else:
        headers = [*headers, *SECURITY_HEADERS]
    state = scope.get("state")
    if state:
        if not request_state.PRIVATE_KEYS.isdisjoint(key for key, value in state.items() if value):
            headers = _private(headers)
        anonymous = state.get(request_state.NEW_ANONYMOUS_CSRF_ID)
        if anonymous:
            # lazy: only a new visitor's first form sets the anonymous cookie
            from courtside.auth.cookies import anonymous_csrf_cookie

            headers.append((b"set-cookie", anonymous_csrf_cookie(scope, anonymous)))
    headers.append(request_id_header)
    return headers


def _private(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    current = b",".join(v for k, v in headers if k.lower() == b"cache-control").lower()
    if b"no-store" in current:  # already uncacheable everywhere
        return headers
    return [*((k, v) for k, v in headers if k.lower() != b"cache-control"), _PRIVATE]


def _body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The request's Content-Length (None: absent, unreadable, or beside a Transfer-Encoding,
    which frames the body then: RFC 9112 6.3, as h11 reads it) and whether it has a
    Transfer-Encoding (a body of chunks, which a GET may send too)."""
    length: int | None = None
    seen_length = chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length" and not seen_length:
            seen_length = True
            try:
                length = int(value)
            except ValueError:
                length = None
        elif name == b"transfer-encoding":
            chunked = True
    return (None if chunked else length), chunked


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "payload_too_large",
                "message": f"The request body is larger than {limit} bytes.",
                "details": {"max_bytes": limit},
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_UNKNOWN_CALLER = ("(unknown file)", 0, "(unknown function)")
"""What `Logger._log` records as the caller when `logging._srcfile` is None (on Lambda)."""
_caller: tuple[str, int, str] | None = None
"""Where the request line is logged from (`_log_request`), found once by `findCaller`."""


def _log_request(scope: Scope, status: int, request_id: str, started: float) -> None:
    """The request's log line: the record `Logger.info` makes, with the caller found once.

    `Logger._log` walks the stack (`findCaller`) for every record while `logging._srcfile`
    is set (off Lambda: ~15 k instructions a line); this caller never moves. The record
    is otherwise `info`'s own (`makeRecord`, then `handle`: the logger's filters and
    handlers), as a test compares."""
    global _caller
    if logging._srcfile:
        if _caller is None:
            filename, line, function, _ = _REQUEST_LOGGER.findCaller()
            _caller = (filename, line, function)
        filename, line, function = _caller
    else:
        filename, line, function = _UNKNOWN_CALLER
    method, path = scope["method"], scope["path"]
    fields = {
        "request_id": request_id,
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": round((perf_counter() - started) * 1000, 3),
    }
    record = _REQUEST_LOGGER.makeRecord(
        _REQUEST_LOGGER.name,
        logging.INFO,
        filename,
        line,
        "%s %s %s",
        (method, path, status),
        None,
        function,
        {observability.FIELDS: fields},
    )
    _REQUEST_LOGGER.handle(record)
