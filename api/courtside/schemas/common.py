"""Shapes shared by every endpoint: pagination and the error envelope (for OpenAPI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


class Schema(BaseModel):
    """Base of every response schema: built from ORM objects or dicts, immutable. Its
    validator and serializer are built on first use (`defer_build`): a route group's cold
    start builds the schemas of its own routes, not those of every response."""

    model_config = ConfigDict(from_attributes=True, frozen=True, defer_build=True)


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class PageParams:
    """A validated page: `limit` rows from `offset` (a dataclass: built on every request)."""

    limit: int
    offset: int


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-200).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")]
"""Declare `limit: Limit = DEFAULT_LIMIT, offset: Offset = 0` on a hot route (no sub-dependency
to solve per request), or depend on `PageDep`."""


async def page_params(limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error shape for these status codes."""
    return {code: {"model": ErrorResponse} for code in codes}
