"""The model's track record, a public page (`/track-record`): hit rate, Brier score and log
loss of the model next to the closing line's, overall, per season and per month, with the
calibration chart; the same figures as `/v1/predictions/track-record`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from courtside.services.track_record import model_track_record
from courtside.settings import get_app_settings
from courtside.unit_of_work import SessionDep
from courtside.web.analytics_charts import calibration_chart
from courtside.web.session import PageOptionalUser
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/track-record")
async def track_record_page(
    request: Request, session: SessionDep, _user: PageOptionalUser
) -> Response:
    record = await model_track_record(session, zone=get_app_settings().zone)
    return render(
        request,
        "track_record.html",
        {
            "record": record,
            "chart": calibration_chart(record.model_calibration, record.market_calibration),
        },
    )
