"""The public routes' own parameter reading (`courtside.routers.public_route`): a valid
request skips FastAPI's parameter solving, and every answer, valid or not, is the one
FastAPI's own handler gives."""

from __future__ import annotations

from typing import Annotated, Any

import fastapi.routing
import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Query
from fastapi.dependencies.utils import get_dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel
from starlette.requests import Request

from courtside.routers import public_route

Listed = Annotated[str, AfterValidator(lambda text: [text])]
"""A scalar parameter whose validated value is a list (mutable)."""


class Filters(BaseModel):
    a: int
    b: str


QUERIES = {
    "/v1/teams": [
        "",
        "limit=5",
        "limit=5&offset=1",
        "limit=05",
        "limit=+5",
        "limit= 5",
        "limit=5.0",
        "limit=5.5",
        "limit=0",
        "limit=201",
        "limit=",
        "limit=x",
        "limit=\u0665",
        "limit=1&limit=3",
        "limit=3&limit=0",
        "offset=-1",
        "offset=1e2",
        "other=1",
    ],
    "/v1/players": [
        "team=bos",
        "team=B",
        "team=BOS1",
        "q=%20JAYSON%20%20tatum%20",
        "q=",
        "position=g-f",
        "position=X",
        "team=nyk&position=G&limit=2",
    ],
    "/v1/games": [
        "date=2026-11-23",
        "date=2026-11-23&status=final",
        "date=2026-11-24&team=lal",
        "date=2026-11-24&status=unknown",
        "date=23/11/2026",
        "date=0",
        "date=2026-11-23T00:00",
        "date=",
    ],
    "/v1/odds": ["date=2026-11-24", "date=2026-02-30"],
    "/v1/predictions": ["date=2026-11-24&limit=1"],
    "/v1/standings": ["", "season=2026", "season=1900", "season=abc", "season=2026.0"],
    "/v1/teams/bos": ["", "limit=1"],
    "/v1/teams/b0s": [""],
    "/v1/teams/BOS/players": ["limit=1", "limit=0"],
    "/v1/players/0": [""],
    "/v1/players/abc": [""],
    "/v1/players/99999999999": [""],
    "/v1/games/1": [""],
}


def _read_afresh(self: public_route.FastParameters, request: Request) -> dict[str, Any] | None:
    """`FastParameters.values` without the memo: the routes (and their memos) are the
    routers' own, shared by every app of the test session, so an earlier test may have
    left a query's values there."""
    known = self.read(request)
    return None if known is None else {self.request_name: request, **known}


async def test_every_answer_is_fastapis(client, world, monkeypatch):
    compared = 0
    for path, queries in QUERIES.items():
        for query in queries:
            url = f"{path}?{query}" if query else path
            with monkeypatch.context() as patch:  # read and validated here, not remembered
                patch.setattr(public_route.FastParameters, "values", _read_afresh)
                ours = await client.get(url)
            await client.get(url)  # read, then remembered if valid
            remembered = await client.get(url)  # from the route's memo
            with monkeypatch.context() as patch:  # every request through FastAPI's handler
                patch.setattr(public_route.FastParameters, "values", lambda _self, _request: None)
                theirs = await client.get(url)
            assert (ours.status_code, ours.json()) == (theirs.status_code, theirs.json()), url
            assert ours.headers.get("etag") == theirs.headers.get("etag"), url
            assert (remembered.status_code, remembered.json()) == (ours.status_code, ours.json())
            assert remembered.headers.get("etag") == ours.headers.get("etag"), url
            compared += 1
    assert compared > 50


async def test_a_valid_request_skips_fastapis_parameter_solving(client, world, monkeypatch):
    solved: list[str] = []
    solve = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]

    async def counting(**kwargs: Any) -> Any:
        solved.append(kwargs["request"].url.path)
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    for url in ("/v1/teams?limit=5", "/v1/games?date=2026-11-23", "/v1/standings", "/v1/teams/bos"):
        assert (await client.get(url)).status_code == 200, url
    assert solved == []
    invalid = await client.get("/v1/teams?limit=0")
    assert invalid.status_code == 422
    assert solved == ["/v1/teams"]  # FastAPI's handler answered it


async def test_a_repeated_query_is_read_and_validated_once(client, world, monkeypatch):
    """The same raw query (and path) always gives the same values: the route remembers them."""
    read: list[str] = []
    original = public_route._read

    def counting(parameters: Any, received: Any, values: dict[str, Any]) -> bool:
        read.append(",".join(parameter.alias for parameter in parameters))
        return original(parameters, received, values)

    monkeypatch.setattr(public_route, "_read", counting)
    # A query no other test sends: the routes (and their memos) are the routers' own,
    # shared by every app of the test session.
    teams, team = "/v1/teams?limit=7&memo=test", "/v1/teams/bos?memo=test"
    urls = [teams, teams, team, team]
    answers = [await client.get(url) for url in urls]
    assert [answer.status_code for answer in answers] == [200] * 4
    assert answers[0].json() == answers[1].json()
    assert answers[2].json() == answers[3].json()
    assert read == ["limit,offset", "abbr"]  # once each
    another_path = await client.get("/v1/teams/nyk?memo=test")
    assert another_path.json()["abbreviation"] == "NYK"
    another_query = await client.get("/v1/teams?limit=6&memo=test")
    assert another_query.json()["limit"] == 6
    assert read == ["limit,offset", "abbr", "abbr", "limit,offset"]


def _request(query: bytes, path_params: dict[str, Any] | None = None) -> Request:
    scope = {"type": "http", "query_string": query, "path_params": path_params or {}}
    return Request(scope)


def test_the_memo_is_bounded_and_keeps_only_valid_immutable_values():
    async def endpoint(request: Request, limit: int = 5) -> None: ...
    async def listing(request: Request, v: Listed = "x") -> None: ...

    fast = public_route.fast_parameters(get_dependant(path="/x", call=endpoint))
    assert fast is not None
    for number in range(public_route.MEMO_SIZE + 10):
        values = fast.values(_request(f"limit={number + 1}".encode()))
        assert values is not None and values["limit"] == number + 1
        assert len(fast.memo) <= public_route.MEMO_SIZE
    assert fast.values(_request(b"limit=x")) is None  # invalid: FastAPI's handler answers
    assert b"limit=x" not in fast.memo
    fast.memo.clear()
    long = b"limit=3&" + b"x" * public_route.MEMO_QUERY_BYTES
    long_values = fast.values(_request(long))
    assert long_values is not None and long_values["limit"] == 3  # read, not remembered
    assert not fast.memo
    mutable = public_route.fast_parameters(get_dependant(path="/x", call=listing))
    assert mutable is not None
    first, second = mutable.values(_request(b"v=a")), mutable.values(_request(b"v=a"))
    assert first is not None and second is not None
    assert first["v"] == second["v"] == ["a"]
    assert first["v"] is not second["v"]  # a list is never shared between requests
    assert not mutable.memo
    within = public_route.fast_parameters(
        get_dependant(path="/x/{abbr}", call=public_route_endpoint_with_path)
    )
    assert within is not None
    one = within.values(_request(b"", {"abbr": "bos"}))
    other = within.values(_request(b"", {"abbr": "nyk"}))
    assert one is not None and other is not None
    assert (one["abbr"], other["abbr"]) == ("bos", "nyk")  # the path is part of the key


async def public_route_endpoint_with_path(request: Request, abbr: str) -> None: ...


def test_routes_that_need_fastapis_handler_keep_it():
    async def with_header(request: Request, x_thing: str | None = Header(None)) -> None: ...
    async def with_dependency(request: Request, value: int = Depends(lambda: 1)) -> None: ...
    async def with_list(request: Request, ids: list[int] = Query([])) -> None: ...
    async def with_list_in_a_union(request: Request, v: str | list[str] | None = None) -> None: ...
    async def with_a_model(
        request: Request, f: Annotated[Filters | None, Query()] = None
    ) -> None: ...
    async def without_request(limit: int = 5) -> None: ...
    async def plain(request: Request, limit: int = 5) -> None: ...

    def fast(call: Any) -> object:
        return public_route.fast_parameters(get_dependant(path="/x", call=call))

    assert fast(with_header) is None
    assert fast(with_dependency) is None
    assert fast(with_list) is None
    assert fast(with_list_in_a_union) is None  # FastAPI reads every value of the key
    assert fast(with_a_model) is None  # FastAPI reads the model's fields as parameters
    assert fast(without_request) is None
    assert fast(plain) is not None


async def test_endpoints_that_do_not_answer_a_response_keep_fastapis_handler():
    """The fast handler hands the endpoint's value to Starlette as is: an endpoint returning
    a model or a dict, or a plain function, must keep FastAPI's handler (which serialises the
    value, or runs the function in a thread) rather than fail at its first request."""
    router = APIRouter(route_class=public_route.PublicRoute)

    @router.get("/model")
    async def model(request: Request, limit: int = 5) -> dict[str, int]:
        return {"limit": limit}

    @router.get("/plain")
    def plain(request: Request, limit: int = 5) -> JSONResponse:
        return JSONResponse({"limit": limit})

    @router.get("/fast")
    async def fast(request: Request, limit: int = 5) -> JSONResponse:
        return JSONResponse({"limit": limit})

    app = FastAPI()
    app.include_router(router)
    handlers = {route.path: route for route in router.routes if isinstance(route, APIRoute)}
    standard = APIRoute("/x", fast).get_route_handler()
    assert handlers["/fast"].get_route_handler().__qualname__ != standard.__qualname__
    for path in ("/model", "/plain"):
        assert handlers[path].get_route_handler().__qualname__ == standard.__qualname__
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as plain_client:
        for path in ("/model", "/plain", "/fast"):
            answer = await plain_client.get(f"{path}?limit=7")
            assert (answer.status_code, answer.json()) == (200, {"limit": 7}), path
