"""The admin area's overview, its audit log and (local runs only) simulated results;
the rest of the area is `admin_flag_pages`, `admin_user_pages`, `admin_key_pages`
(what they share: `admin_common`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import actor_for_user
from courtside.schemas.common import PageParams
from courtside.services import api_keys, audit, flag_admin, users
from courtside.settings import get_app_settings
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web import query_params
from courtside.web.admin_common import (
    PAGE_SIZE,
    DoneQuery,
    PageNumber,
    admin_page,
    messages_for,
    pagination,
)
from courtside.web.session import PageAdmin

router = APIRouter(prefix="/admin", include_in_schema=False)


@router.get("")
async def admin_home(
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    done: DoneQuery = None,
    games: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    settled: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
) -> Response:
    flags = await flag_admin.list_flags(session)
    user_total = (await users.list_users(session, page=PageParams(limit=1, offset=0))).total
    active_keys = (
        await api_keys.list_keys(session, include_revoked=False, page=PageParams(limit=1, offset=0))
    ).total
    recent = await audit.list_events(session, page=PageParams(limit=8, offset=0))
    return admin_page(
        request,
        "admin/index.html",
        "home",
        {
            "flags": flags,
            "user_total": user_total,
            "active_keys": active_keys,
            "events": recent.items,
            "can_simulate": get_app_settings().is_local,
            "messages": messages_for(done),
            "simulated": (games, settled) if done == "simulated" else None,
        },
    )


# --- audit log -------------------------------------------------------------------------


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=get_app_settings().zone).astimezone(UTC)


@router.get("/audit")
async def auditadmin_page(
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    action: Annotated[str, Query(max_length=64)] = "",
    actor_type: query_params.ActorTypeQuery = None,
    actor: Annotated[str, Query(max_length=128)] = "",
    target: Annotated[str, Query(max_length=255)] = "",
    since: query_params.OptionalDay = None,  # from this day (league time)
    until: query_params.OptionalDay = None,  # up to and including this day
    page: PageNumber = 1,
) -> Response:
    events = await audit.list_events(
        session,
        action=action.strip() or None,
        actor_type=actor_type,
        actor=actor.strip() or None,
        target=target.strip() or None,
        since=_day_start(since),
        until=_day_start(until + timedelta(days=1)) if until else None,
        page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
    )
    filters = {
        "action": action,
        "actor_type": actor_type or "",
        "actor": actor,
        "target": target,
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    error = None
    if since and until and since > until:
        error = "The “from” day is after the “to” day, so nothing can match. Swap them."
    return admin_page(
        request,
        "admin/audit.html",
        "audit",
        {
            "events": events.items,
            "filters": filters,
            "query": query,
            "messages": messages_for(None, error),
            **pagination(events.total, page),
        },
    )


# --- simulated results (local only) ----------------------------------------------------


@router.post("/simulate")
async def simulate(work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected) -> Response:
    """Finalise every game that has tipped off, through ingestion (local runs only)."""
    # lazy: simulation exists in local runs only
    from courtside.services.simulation import simulate_results

    done = await simulate_results(work.session, actor=actor_for_user(admin))
    return RedirectResponse(
        f"/admin?done=simulated&games={done.games}&settled={done.bets_settled}", status_code=303
    )
