"""Cross-cutting tables: the audit/event log, feature flags and row counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from courtside.models import tables
from courtside.models.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One write: an admin action, an API-key write (ingestion) or a system job.

    This is the seed design's event table (id, action, event time, actor, data summary)
    and the admin audit log in one.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("actor_type IN ('user', 'api_key', 'system')", name="actor_type"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_action", "action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FeatureFlag(Base):
    __tablename__ = "feature_flags"
    __table_args__ = (CheckConstraint("length(name) >= 2", name="name_length"),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RowCount(tables.RowCountColumns, Base):
    """How many rows a large table holds, kept by the database's own triggers (migration 0008)."""

    __table__ = tables.row_counts
