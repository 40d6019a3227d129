"""The model's track record against the closing line: `GET /v1/predictions/track-record`.

Public and cached with the schedule (its namespace is invalidated by every result); it
takes no query parameter, so the CDN's allow-list for `/v1/predictions*` covers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from starlette.responses import Response

from courtside.routers.public import cache_key, schedule_data
from courtside.schemas.analytics import TrackRecordRead
from courtside.schemas.common import error_responses
from courtside.settings import get_app_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

router = APIRouter(prefix="/v1", tags=["league"], responses=error_responses(422))


@router.get("/predictions/track-record", response_model=TrackRecordRead)
async def track_record(request: Request) -> Response:
    """The model's record on final games with a prediction: hit rate, Brier score, log loss
    and calibration in deciles, next to the same measures for the closing line (margin
    removed); overall, per season and per month (league time), each with its game count."""

    async def build(connection: AsyncConnection) -> TrackRecordRead:
        # lazy: on a cache miss only: it brings the ORM and the betting service, which the
        # schedule group's other routes (and their cold start) do without.
        from sqlalchemy.ext.asyncio import AsyncSession

        from courtside.services.track_record import model_track_record

        async with AsyncSession(bind=connection) as session:
            record = await model_track_record(session, zone=get_app_settings().zone)
        return TrackRecordRead.model_validate(record)

    return await schedule_data(request, cache_key("track-record"), build)
