"""The event log as Admins read it (`GET /v1/admin/events`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from courtside.schemas.common import Schema


class AuditEventRead(Schema):
    """One write: who (a user, an API key or the system), what, when, to what, and a summary."""

    id: int
    occurred_at: datetime
    actor_type: str = Field(description="`user`, `api_key` or `system`.")
    actor_id: str | None
    actor_name: str
    action: str = Field(description="e.g. `ingest.games`, `api_key.create`, `flag.update`.")
    target: str | None
    details: dict[str, Any] = Field(description="A data summary: counts, keys, old/new values.")
