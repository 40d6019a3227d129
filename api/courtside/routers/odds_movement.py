"""`GET /v1/games/{id}/odds`: the latest line and windowed averages and deviations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from courtside.errors import ApiError
from courtside.http_cache import SCHEDULE, cached_json
from courtside.schemas.common import error_responses
from courtside.schemas.odds_movement import (
    AGGREGATE_ALIASES,
    OddsAggregateType,
    OddsMovementRead,
)
from courtside.settings import get_cache_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

router = APIRouter(prefix="/v1", tags=["league"], responses=error_responses(404, 422))

_ACCEPTED = ", ".join(AGGREGATE_ALIASES)


def parse_type(value: str) -> OddsAggregateType:
    """The canonical aggregate for a spelling (the seed's aliases included), or 422."""
    kind = AGGREGATE_ALIASES.get(value.strip().lower())
    if kind is None:
        raise ApiError(
            422,
            "invalid_type",
            f"Unknown odds aggregate {value!r}; use one of: {_ACCEPTED}.",
            details={"accepted": list(AGGREGATE_ALIASES)},
        )
    return kind


@router.get("/games/{game_id}/odds", response_model=OddsMovementRead)
async def game_odds_movement(
    request: Request,
    game_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    kind: Annotated[
        str,
        Query(
            alias="type",
            max_length=32,
            description=f"One of {_ACCEPTED}. Windows end at the server's clock.",
        ),
    ] = OddsAggregateType.LATEST.value,
) -> Response:
    """How a game's moneylines moved: the latest line, or the mean or population standard
    deviation over the last 24 hours or 7 days, per bookmaker and over all of them."""
    resolved = parse_type(kind)

    async def build(connection: AsyncConnection) -> OddsMovementRead:
        # lazy: on a cache miss only; a process the cache answers loads no database layer
        from courtside.services.odds_movement import odds_movement

        return await odds_movement(connection, game_id, resolved)

    return await cached_json(
        request,
        namespace=SCHEDULE,
        key=f"odds-movement|id={game_id}|type={resolved.value}",
        ttl_seconds=get_cache_settings().cache_ttl_seconds,
        build=build,
    )
