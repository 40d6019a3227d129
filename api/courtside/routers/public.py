"""What the public read API's routers share: parameter types, cache keys, the page envelope.

Every public response is cached (see `http_cache`) and carries an ETag and Cache-Control.
Each route's cache key is made of its *validated* parameters only (`cache_key`): a query
parameter a route does not read is ignored, for the answer and for the cache alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Path, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from courtside.http_cache import REFERENCE, SCHEDULE, cached_json
from courtside.schemas.common import Page, PageParams, Schema
from courtside.schemas.strict import IsoDate
from courtside.services.league_calendar import league_today
from courtside.settings import get_app_settings, get_cache_settings

if TYPE_CHECKING:  # the database layer loads on a cache miss only (`http_cache`)
    from sqlalchemy.ext.asyncio import AsyncConnection

    from courtside.services.pagination import PageOf

TeamAbbr = Annotated[str, Path(min_length=2, max_length=4, pattern=r"^[A-Za-z]+$")]
TeamQuery = Annotated[
    str | None, Query(min_length=2, max_length=4, pattern=r"^[A-Za-z]+$", description="Team abbr.")
]
DateQuery = Annotated[
    IsoDate | None,
    Query(alias="date", description="Day in the league's time zone (default: today)."),
]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

Build = Callable[["AsyncConnection"], Awaitable[BaseModel | bytes]]
"""A response body's model, or its JSON already written (`services.league_json`)."""
S = TypeVar("S", bound=Schema)


def cache_key(route: str, **params: object) -> str:
    """`route` and its validated parameters (None left out), in a fixed order."""
    return route + "".join(f"|{k}={v}" for k, v in sorted(params.items()) if v is not None)


async def reference_data(
    request: Request, key: str, build: Build, *, driver: bool = False
) -> Response:
    """Teams, players, injuries: cached long, invalidated when the pipeline sends rosters.
    `driver`: `build` reads only named statements (`http_cache.cached_json`)."""
    ttl = get_cache_settings().cache_ttl_reference_seconds
    return await cached_json(
        request, namespace=REFERENCE, key=key, ttl_seconds=ttl, build=build, driver=driver
    )


async def search_data(request: Request, key: str, build: Build) -> Response:
    """Free-text searches over reference data: a key per text, so cached only briefly
    (`CACHE_SEARCH_TTL_SECONDS`); still invalidated with the rosters."""
    ttl = get_cache_settings().cache_search_ttl_seconds
    return await cached_json(request, namespace=REFERENCE, key=key, ttl_seconds=ttl, build=build)


async def schedule_data(
    request: Request, key: str, build: Build, *, driver: bool = False
) -> Response:
    """Games, odds, predictions, standings: cached briefly, invalidated by every result.
    `driver`: as `reference_data`'s."""
    ttl = get_cache_settings().cache_ttl_seconds
    return await cached_json(
        request, namespace=SCHEDULE, key=key, ttl_seconds=ttl, build=build, driver=driver
    )


def resolve_day(day: date | None) -> date:
    return day or league_today(get_app_settings().zone)


_PAGES: dict[type[Schema], Any] = {}
"""`Page[X]` by `X`: Pydantic's own look-up of a parametrized generic costs ~0.06 M
instructions a call (issue 23), this dict's next to nothing."""


def public_page(schema: type[S], result: PageOf[Any], page: PageParams) -> Page[S]:
    """The one place a service's page of rows becomes the public envelope (the teams and
    the games pages write theirs from the rows: `services.league_json`)."""
    model = _PAGES.get(schema)
    if model is None:
        model = _PAGES[schema] = Page[schema]  # type: ignore[valid-type]
    page_model: Page[S] = model.model_validate(
        {"items": result.items, "total": result.total, "limit": page.limit, "offset": page.offset}
    )
    return page_model
