"""The audit/event log: one row per write, by a user, an API key or the system."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import AuditEvent
from courtside.schemas.common import PageParams
from courtside.services.pagination import PageOf, paginate

ActorType = Literal["user", "api_key", "system"]


@dataclass(frozen=True)
class Actor:
    """Who did something: `Actor("user", "42", "alice")`, `Actor("api_key", "7", "pipeline")`."""

    type: ActorType
    id: str | None
    name: str


SYSTEM = Actor("system", None, "system")


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the session; it commits (or rolls back) with the write it describes."""
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target=target,
        details=details or {},
    )
    session.add(event)
    await session.flush()
    return event


def _like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


async def list_events(
    session: AsyncSession,
    *,
    action: str | None = None,
    actor_type: ActorType | None = None,
    actor: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: PageParams,
) -> PageOf[AuditEvent]:
    """Events, newest first, filtered; every filter is optional and they combine with AND.

    `action` matches exactly, or as a prefix when it ends with `*` (`ingest.*`). `actor`
    matches the actor's name or id exactly. `since` is inclusive, `until` exclusive.
    """
    query = select(AuditEvent)
    if action:
        if action.endswith("*"):
            pattern = _like_prefix(action.rstrip("*"))
            query = query.where(AuditEvent.action.like(pattern, escape="\\"))
        else:
            query = query.where(AuditEvent.action == action)
    if actor_type:
        query = query.where(AuditEvent.actor_type == actor_type)
    if actor:
        query = query.where((AuditEvent.actor_name == actor) | (AuditEvent.actor_id == actor))
    if target:
        query = query.where(AuditEvent.target == target)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return await paginate(
        session, query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()), page
    )
