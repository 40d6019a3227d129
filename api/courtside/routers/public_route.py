"""The public read routes' request handler: their query and path parameters validated
without FastAPI's per-request machinery when they are valid, by FastAPI itself when not.

FastAPI 0.165 solves a route's parameters per request by re-inspecting each one
(`_get_param_model`, its aliases, whether its annotation is a sequence) before validating
it: on a Redis hit of `GET /v1/teams?limit=50` that was ~16 % of the request (issue 23).
A `PublicRoute` is declared like any `APIRoute` (so its OpenAPI document is FastAPI's own,
unchanged) and, for a route whose endpoint takes only the `Request` and scalar query and
path parameters, answers with a handler that:

- takes each parameter's raw value as FastAPI would (the last of a repeated query key;
  absent: the default), and validates a present one with the very validator FastAPI uses
  for it (`ModelField.validate`: the same type adapter, constraints and coercions), so a
  value this path accepts becomes exactly the argument FastAPI would have passed;
- on anything else (a value that fails validation, a required parameter that is missing)
  hands the request to FastAPI's own handler, which answers it as before: the 422 and its
  body are FastAPI's.
- remembers the values of each raw query string (and path values) it has read: the same
  text always validates to the same values, so a repeated request (most public requests)
  neither parses the query string nor validates again (`FastParameters.values`; bounded,
  immutable values only).

The endpoint must return a `Response` (the public routes do: `http_cache.cached_json`);
one that returns a model would skip FastAPI's response serialisation, so a route with
dependencies, a body, headers, cookies or any other special parameter keeps FastAPI's
handler (`fast_parameters` answers None for it).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from fastapi import params
from fastapi._compat import field_annotation_is_scalar
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Parameter:
    name: str
    alias: str
    default: Any
    """The value when absent (`_MISSING`: required, FastAPI's handler answers)."""
    validate: Callable[..., tuple[Any, list[Any]]]
    loc: tuple[str, ...]


MEMO_SIZE = 512
"""Parameter sets a route remembers (`FastParameters.values`); at this size it starts over."""
MEMO_QUERY_BYTES = 256
"""The longest query string remembered: a route's memo holds at most ~128 KB of keys."""

_IMMUTABLE_VALUES = (type(None), int, str, bool, float, date, datetime, time, Decimal, UUID, Enum)
"""What a remembered value may be: one object shared by every request with the same raw text."""


@dataclass(frozen=True, slots=True)
class FastParameters:
    """How to read one route's parameters without FastAPI's handler."""

    request_name: str
    path: tuple[_Parameter, ...]
    query: tuple[_Parameter, ...]
    memo: dict[Any, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    """Validated parameters by their raw text (the query string, the path's values)."""

    def values(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's keyword arguments, or None when FastAPI's handler must answer.

        The same raw text always validates to the same values (the validators are pure, the
        defaults immutable), so the values of a query string (and path) already read are
        remembered: a repeated request, the common case of a public route, skips parsing
        the query string and validating (~0.045 M instructions of a Redis hit). Only valid
        parameter sets whose values are all immutable are kept, at most `MEMO_SIZE`, for
        query strings of at most `MEMO_QUERY_BYTES` (the public routes' are a few dozen)."""
        scope = request.scope
        key: Any = scope["query_string"]
        if self.path:
            key = (key, *request.path_params.values())
        known = self.memo.get(key)
        if known is None:
            known = self.read(request)
            if known is None:
                return None
            if len(scope["query_string"]) <= MEMO_QUERY_BYTES and all(
                isinstance(value, _IMMUTABLE_VALUES) for value in known.values()
            ):
                if len(self.memo) >= MEMO_SIZE:
                    self.memo.clear()
                self.memo[key] = known
        return {self.request_name: request, **known}

    def read(self, request: Request) -> dict[str, Any] | None:
        """The parameters read and validated from `request`, or None (FastAPI's handler)."""
        values: dict[str, Any] = {}
        if self.path and not _read(self.path, request.path_params, values):
            return None
        if self.query and not _read(self.query, request.query_params, values):
            return None
        return values


def _read(
    parameters: Sequence[_Parameter], received: Mapping[str, Any], values: dict[str, Any]
) -> bool:
    for parameter in parameters:
        raw = received.get(parameter.alias)
        if raw is None:
            if parameter.default is _MISSING:
                return False
            values[parameter.name] = parameter.default
            continue
        value, errors = parameter.validate(raw, values, loc=parameter.loc)
        if errors:
            return False
        values[parameter.name] = value
    return True


_IMMUTABLE_DEFAULTS = (type(None), int, str, bool, float)


def _parameter(field: Any) -> _Parameter | None:
    info = field.field_info
    if (
        not isinstance(info, params.Path | params.Query)
        or info.validation_alias not in (None, field.alias)  # an AliasPath, AliasChoices
        or field.config
        or info.validate_default
    ):
        return None
    if not field_annotation_is_scalar(info.annotation):
        # FastAPI's own test: a sequence, also inside a union (`str | list[str]`: every value
        # of the key), or a model (its fields are read as parameters): FastAPI's handler
        return None
    if info.is_required():
        default: Any = _MISSING
    elif isinstance(field.default, _IMMUTABLE_DEFAULTS):
        default = field.default
    else:
        return None  # FastAPI deep-copies a mutable default per request
    return _Parameter(
        name=field.name,
        alias=field.alias,
        default=default,
        validate=field.validate,
        loc=(info.in_.value, field.alias),
    )


def fast_parameters(dependant: Dependant) -> FastParameters | None:
    """The fast reading of `dependant`'s parameters, or None if it needs FastAPI's."""
    if (
        dependant.dependencies
        or dependant.body_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.request_param_name is None
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    ):
        return None
    path = [_parameter(field) for field in dependant.path_params]
    query = [_parameter(field) for field in dependant.query_params]
    known_path = tuple(parameter for parameter in path if parameter is not None)
    known_query = tuple(parameter for parameter in query if parameter is not None)
    if len(known_path) < len(path) or len(known_query) < len(query):
        return None
    return FastParameters(
        request_name=dependant.request_param_name, path=known_path, query=known_query
    )


def _answers_a_response(endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint` is a coroutine function annotated to return a `Response`: the fast
    handler awaits it and hands its value to Starlette as is, so an endpoint returning a
    model (FastAPI serialises it) or a plain function (FastAPI runs it in a thread) keeps
    FastAPI's handler instead of failing at its first request."""
    if not inspect.iscoroutinefunction(endpoint):
        return False
    try:
        returned = typing.get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return isinstance(returned, type) and issubclass(returned, Response)


class PublicRoute(APIRoute):
    """An `APIRoute` whose valid requests skip FastAPI's parameter solving (module docstring)."""

    def get_route_handler(self) -> Handler:
        standard: Handler = super().get_route_handler()
        fast = fast_parameters(self.dependant)
        endpoint = self.dependant.call
        if fast is None or endpoint is None or not _answers_a_response(endpoint):
            return standard

        async def handler(request: Request) -> Response:
            values = fast.values(request)
            if values is None:
                return await standard(request)
            response: Response = await endpoint(**values)
            return response

        return handler
