"""The cache's namespace versions, for processes that cache in-process (no Redis).

A module of its own: a cold start of the public API reads it (`courtside.cache_versions`)
and should not build the account, betting or audit models.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from courtside.models.base import Base, UTCDateTime, utcnow


class CacheVersion(Base):
    """The version token of a cache namespace: a writer replaces it in its own
    transaction, a reader compares (see `courtside.cache_versions`)."""

    __tablename__ = "cache_versions"

    namespace: Mapped[str] = mapped_column(String(200), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
