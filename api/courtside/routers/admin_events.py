"""`GET /v1/admin/events`: the event/audit log, for Admins, filtered and paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from courtside.auth.deps import AdminUser
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.schemas.audit import AuditEventRead
from courtside.schemas.common import Page, PageDep, error_responses
from courtside.schemas.strict import IsoDateTime
from courtside.services.audit import list_events

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=error_responses(401, 403, 422))


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApiError(
            422,
            "validation_error",
            f"{name} needs a time zone, e.g. 2026-11-23T10:00:00Z.",
            details=[{"loc": ["query", name], "msg": "timezone required", "type": "timezone"}],
        )
    return value


@router.get("/events", response_model=Page[AuditEventRead])
async def events(
    _admin: AdminUser,
    session: SessionDep,
    page: PageDep,
    action: Annotated[
        str | None,
        Query(max_length=64, description="Exact action, or a prefix ending in `*` (`ingest.*`)."),
    ] = None,
    actor_type: Annotated[Literal["user", "api_key", "system"] | None, Query()] = None,
    actor: Annotated[
        str | None, Query(max_length=128, description="Actor name or id (exact).")
    ] = None,
    target: Annotated[str | None, Query(max_length=255, description="Exact target.")] = None,
    since: Annotated[
        IsoDateTime | None, Query(description="From this instant (inclusive).")
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="Before this instant (exclusive).")
    ] = None,
) -> Page[AuditEventRead]:
    """Every write (admin actions, API-key writes such as ingestion, system jobs), newest first."""
    result = await list_events(
        session,
        action=action,
        actor_type=actor_type,
        actor=actor,
        target=target,
        since=_aware("since", since),
        until=_aware("until", until),
        page=page,
    )
    return Page[AuditEventRead](
        items=[AuditEventRead.model_validate(row) for row in result.items],
        total=result.total,
        limit=page.limit,
        offset=page.offset,
    )
