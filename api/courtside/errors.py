"""One error shape for the API, HTML error pages for the web pages, never a stack trace.

API errors look like `{"error": {"code": "...", "message": "...", "details": ...}}`.
"""

from __future__ import annotations

import html
import logging
import sys
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from courtside.database_failures import DatabaseFailure, cause_is_unavailable
from courtside.domain_errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooLarge,
)

log = logging.getLogger(__name__)

API_PREFIXES = ("/v1/", "/v1", "/token", "/health", "/openapi.json", "/docs")

RETRY_AFTER_SECONDS = 5
"""What a 503 asks the client to wait (a restart or an overloaded database passes in seconds)."""


def is_unavailable(exc: BaseException) -> bool:
    """The database could not answer now (down, restarting, overloaded, too slow): a 503.

    Covers SQLAlchemy's pool timeout, disconnects, the driver's connection errors (asyncpg's
    own exceptions may arrive unwrapped, e.g. "another operation is in progress"), timeouts,
    and the SQLSTATEs of `courtside.database_failures`.
    """
    if isinstance(exc, OSError | TimeoutError):
        return True
    failure = database_failure(exc)
    if failure is not None:
        return failure is DatabaseFailure.UNAVAILABLE
    return cause_is_unavailable(exc)


def database_failure(exc: BaseException) -> DatabaseFailure | None:
    """What a SQLAlchemy error means (`courtside.database_errors`); None for any other.
    SQLAlchemy's classes are looked at only once SQLAlchemy is loaded: a process that has
    not imported it cannot have raised its errors, and a cold start answered from the cache
    never imports it (issue 23)."""
    if "sqlalchemy" not in sys.modules:
        return None
    # lazy: SQLAlchemy's classes only in a process that already loaded SQLAlchemy
    from courtside.database_errors import failure_of

    return failure_of(exc)


class ApiError(Exception):
    """An HTTP error a client can act on, raised by the HTTP layer (routers, pages, auth
    dependencies). Services raise a `DomainError` instead."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


DOMAIN_STATUS: dict[type[DomainError], int] = {
    BadRequest: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Invalid: 422,
}
"""The one place a service's domain error becomes an HTTP status (the nearest class wins)."""


Refusal = ApiError | DomainError
"""A refusal a page shows in its form: the HTTP layer's or a service's."""
REFUSALS = (ApiError, DomainError)
"""The same, for `except REFUSALS as exc:`."""


def headers_of(exc: Refusal) -> dict[str, str] | None:
    """The headers a refusal asks for (`Retry-After` of a 429): only `ApiError`s have them."""
    return exc.headers if isinstance(exc, ApiError) else None


def status_of(exc: Refusal) -> int:
    """The status a refusal is answered with (an `ApiError` carries its own)."""
    return exc.status_code if isinstance(exc, ApiError) else status_for(exc)


def status_for(exc: DomainError) -> int:
    """The HTTP status of a domain error: its class's, or its nearest ancestor's; 400 for
    a domain error no class of the table covers."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 400


def is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith(API_PREFIXES)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}


def _status_code_name(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """JSON for API paths; an HTML page for the web pages (see `_wants_html`)."""
    if is_api_path(request.url.path) or not _wants_html(request):
        return JSONResponse(
            error_body(code, message, details), status_code=status_code, headers=headers
        )
    renderer = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None:
        response: Response = renderer(request, status_code, message)
        if headers:
            response.headers.update(headers)
        return response
    page = (
        f"<!doctype html><title>{status_code}</title><h1>{status_code}</h1>"
        f"<p>{html.escape(message)}</p>"
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def _wants_html(request: Request) -> bool:
    """A client that accepts HTML; or one that does not say (no `Accept`, curl's `*/*`) on a
    path a page serves (a route left out of the OpenAPI document: the pages', never the
    API's). Only `Accept: application/json` without `text/html` gets JSON from a page."""
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return True
    route = request.scope.get("route")
    serves_a_page = route is not None and getattr(route, "include_in_schema", True) is False
    return serves_a_page and "application/json" not in accept


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


def unavailable_response(request: Request) -> Response:
    """The one answer to "the database cannot answer now": 503 with `Retry-After`."""
    return error_response(
        request,
        503,
        "service_unavailable",
        "The service is temporarily unavailable; try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def unavailable_answer(request: Request, exc: BaseException) -> Response:
    """The 503 of a backing service that cannot answer now, logged."""
    log.error("backing service unavailable on %s: %s", request.url.path, exc)
    return unavailable_response(request)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(
            request, exc.status_code, exc.code, exc.message, exc.details, exc.headers
        )

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        return error_response(request, status_for(exc), exc.code, exc.message, exc.details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        details = None if isinstance(exc.detail, str) else exc.detail
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # every method the path serves, not the first route's
            # lazy: schemas (pydantic models) load only when a 405 is answered
            from courtside.http_methods import allowed_methods

            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return error_response(
            request, exc.status_code, _status_code_name(exc.status_code), message, details, headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(
            request, 422, "validation_error", "The request is not valid.", _validation_details(exc)
        )

    @app.exception_handler(OSError)
    @app.exception_handler(TimeoutError)
    async def _unavailable(request: Request, exc: Exception) -> Response:
        return unavailable_answer(request, exc)

    @app.exception_handler(OverflowError)
    async def _unrepresentable(request: Request, exc: Exception) -> Response:
        return unrepresentable_response(request, exc) or await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """Whatever no handler above knows by class, SQLAlchemy's errors included: they are
        answered here (`courtside.database_errors`), so that installing the handlers imports
        no SQLAlchemy. (Starlette's error middleware, which runs this handler, re-raises once
        the response is sent; `courtside.edge` stops it there.)"""
        failure = database_failure(exc)
        if failure is not None:
            answer = _database_answer(request, exc, failure)
            if answer is not None:
                return answer
        elif is_unavailable(exc):  # a driver error no handler above knows by class
            return await _unavailable(request, exc)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "Something went wrong on our side.")


def unrepresentable_response(request: Request, exc: BaseException) -> Response | None:
    """A value that fits the schema but not the database's types (a date beyond year 9999
    once in UTC, say) fails while SQL parameters are bound: the client's input, a 422.
    None when `exc` is not that."""
    if not isinstance(exc, OverflowError | ValueError):
        return None
    log.warning("unrepresentable value on %s: %s", request.url.path, exc)
    return error_response(
        request, 422, "invalid_input", "The request contains a value out of the supported range."
    )


def _database_answer(request: Request, exc: Exception, failure: DatabaseFailure) -> Response | None:
    """The answer to a SQLAlchemy error; None: it is ours (a 500)."""
    if failure is DatabaseFailure.UNAVAILABLE:
        return unavailable_answer(request, exc)
    cause = getattr(exc, "orig", None)
    if failure is DatabaseFailure.CONFLICT:
        log.warning("integrity error on %s: %s", request.url.path, cause)
        return error_response(
            request, 409, "conflict", "The request conflicts with the current state of the data."
        )
    if failure is DatabaseFailure.BAD_VALUE:
        log.warning("data error on %s: %s", request.url.path, cause)
        return error_response(
            request,
            422,
            "invalid_input",
            "The request contains a value that cannot be stored or compared "
            "(for example a NUL character or a number out of range).",
        )
    if failure is DatabaseFailure.UNREPRESENTABLE and cause is not None:
        return unrepresentable_response(request, cause)
    return None
