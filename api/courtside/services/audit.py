"""The audit/event log: one row per write, by a user, an API key or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import AuditEvent

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
