"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Take the metadata from `courtside.models` (`Base`, which runs `load_all`), never from
    here: `load_all` also declares the live bets' partial unique index
    (`betting.declare_live_bet_index`), which the models leave out of import."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on PostgreSQL and on SQLite.

    SQLite has no time zones: naive values read back are UTC by construction, because
    naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True
    driver_conversion = "utc"
    """`prepared.DRIVER_CONVERSIONS`'s name of this bind conversion on PostgreSQL, for the
    statements sent without SQLAlchemy (`courtside.driver_reads`)."""

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """None on asyncpg: its `timestamptz` is already a UTC-aware `datetime` (the binary
        format is UTC, decoded with `timezone.utc`, which is `UTC`), so a call per value
        would change nothing (issue 23: a record page reads ~480 of them)."""
        if dialect.driver == "asyncpg":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
