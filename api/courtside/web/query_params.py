"""Query parameters of the pages' filter forms, where an empty field means "any".

A GET form sends every field, the empty ones too (`?status=lost&team=&from=&to=`). FastAPI
would refuse `from=` as "not a date" and `status=` as "not one of the choices" (422), so
the filter types here read an empty (or blank) value as absent: `None`, or the parameter's
default. A value that is there and wrong is still a 422 (a day is `YYYY-MM-DD` only:
`courtside.schemas.strict`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BeforeValidator

from courtside.schemas.strict import IsoDate


def blank_as_none(value: Any) -> Any:
    """`""` or only spaces → None; anything else unchanged (validated afterwards)."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def blank_as(default: str) -> BeforeValidator:
    """A validator that reads a blank value as `default` (for parameters with a default)."""

    def read(value: Any) -> Any:
        return default if isinstance(value, str) and not value.strip() else value

    return BeforeValidator(read)


Blank = BeforeValidator(blank_as_none)

OptionalDay = Annotated[IsoDate | None, Blank, Query()]
FromDay = Annotated[IsoDate | None, Blank, Query(alias="from")]
ToDay = Annotated[IsoDate | None, Blank, Query(alias="to")]
BoardDay = Annotated[IsoDate | None, Blank, Query(alias="date")]

BetStatus = Literal["open", "won", "lost", "refunded", "cancelled"]
BetStatusQuery = Annotated[BetStatus | None, Blank, Query()]
SortOrder = Literal["newest", "oldest", "stake", "profit"]
SortQuery = Annotated[SortOrder, blank_as("newest"), Query()]

RoleQuery = Annotated[Literal["Admin", "Consumer"] | None, Blank, Query()]
UserStatusQuery = Annotated[Literal["active", "inactive"] | None, Blank, Query()]
ActorTypeQuery = Annotated[Literal["user", "api_key", "system"] | None, Blank, Query()]
PageNumber = Annotated[int, blank_as("1"), Query(ge=1, le=100_000)]
