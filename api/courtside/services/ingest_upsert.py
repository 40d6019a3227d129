"""How ingestion writes: a batch's errors by record, references resolved by natural key, and
the upsert that touches a row only when a column differs (`ingest` tells the whole story)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Invalid
from courtside.models import Base, utcnow
from courtside.schemas.ingest import IngestCounts, Record

MAX_REPORTED_RECORDS = 100
"""A 422 lists at most this many bad records (its message gives the total)."""

Key = tuple[Any, ...]


@dataclass
class RecordErrors:
    """The errors of a batch, by record index."""

    by_index: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, index: int, loc: Sequence[str | int], msg: str, type_: str) -> None:
        self.by_index.setdefault(index, []).append({"loc": list(loc), "msg": msg, "type": type_})

    def raise_if_any(self, received: int) -> None:
        if not self.by_index:
            return
        bad = sorted(self.by_index)
        listed = bad[:MAX_REPORTED_RECORDS]
        more = f" (the first {len(listed)} are listed)" if len(bad) > len(listed) else ""
        raise Invalid(
            "invalid_records",
            f"{len(bad)} of {received} records are invalid{more}; nothing was written.",
            details=[{"index": i, "errors": self.by_index[i]} for i in listed],
        )


@dataclass(frozen=True)
class UpsertOutcome:
    ids: dict[Key, int]
    """Row id of every key of the batch (written or not)."""
    inserted: int
    updated: int

    def counts(self) -> IngestCounts:
        return IngestCounts(
            inserted=self.inserted,
            updated=self.updated,
            unchanged=len(self.ids) - self.inserted - self.updated,
        )


@dataclass(frozen=True)
class Written:
    """What a dataset handler wrote."""

    main: UpsertOutcome
    season_stats: UpsertOutcome | None = None
    final_game_ids: tuple[int, ...] = ()


# --- references -----------------------------------------------------------------------------


async def ids_by(
    session: AsyncSession, column: Any, id_column: Any, values: Iterable[str]
) -> dict[str, int]:
    wanted = sorted(set(values))
    if not wanted:
        return {}
    rows = await session.execute(select(column, id_column).where(column.in_(wanted)))
    return {value: row_id for value, row_id in rows}


def resolve(
    errors: RecordErrors,
    index: int,
    field_name: str,
    value: str | None,
    known: Mapping[str, int],
    what: str,
) -> int | None:
    if value is None:
        return None
    found = known.get(value)
    if found is None:
        errors.add(index, [field_name], f"unknown {what} {value!r}", "unknown_reference")
    return found


# --- upsert ---------------------------------------------------------------------------------


def _insert_for(session: AsyncSession) -> Callable[[Table], Any]:
    if session.get_bind().dialect.name == "postgresql":
        # lazy: one dialect's module, the one the session runs on
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    # lazy: one dialect's module, the one the session runs on
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


async def _existing_ids(
    session: AsyncSession, table: Table, key_columns: Sequence[str], keys: Sequence[Key]
) -> dict[Key, int]:
    columns = [table.c[name] for name in key_columns]
    found: dict[Key, int] = {}
    for chunk in _chunks(list(keys), 2_000):
        if len(columns) == 1:
            condition = columns[0].in_([key[0] for key in chunk])
        else:
            condition = tuple_(*columns).in_(chunk)
        rows = await session.execute(select(table.c.id, *columns).where(condition))
        for row_id, *key in rows:
            found[tuple(key)] = row_id
    return found


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


UpdateGuard = Callable[[Table, Any], Any]
"""`(table, excluded) -> condition`: an existing row is updated only where it holds."""


async def upsert(
    session: AsyncSession,
    table: Table,
    key_columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    touch: str | None = "updated_at",
    guard: UpdateGuard | None = None,
) -> UpsertOutcome:
    """Insert new keys, update keys whose values differ, leave identical rows untouched.

    Rows are written in key order so concurrent batches lock rows in the same order.
    `touch` names a timestamp column set to now when a row is inserted or changed. `guard`
    further restricts which existing rows may be updated; PostgreSQL evaluates it against
    the newest committed version of a row a concurrent batch has just written.
    """
    rows = sorted(rows, key=lambda row: tuple(row[name] for name in key_columns))
    keys = [tuple(row[name] for name in key_columns) for row in rows]
    existing = await _existing_ids(session, table, key_columns, keys)
    now = utcnow()
    if touch is not None:
        rows = [{**row, touch: now} for row in rows]
    value_columns = [name for name in rows[0] if name not in key_columns and name != touch]
    stmt = _insert_for(session)(table)
    changes: dict[str, Any] = {name: stmt.excluded[name] for name in value_columns}
    if touch is not None:
        changes[touch] = stmt.excluded[touch]
    differs = or_(*(table.c[name].is_distinct_from(stmt.excluded[name]) for name in value_columns))
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[name] for name in key_columns],
        set_=changes,
        where=differs if guard is None else and_(differs, guard(table, stmt.excluded)),
    ).returning(table.c.id, *(table.c[name] for name in key_columns))
    written: dict[Key, int] = {}
    for chunk in _chunks(rows, 1_000):
        result = await session.execute(stmt, chunk)
        for row_id, *key in result:
            written[tuple(key)] = row_id
    inserted = sum(1 for key in written if key not in existing)
    ids = {**existing, **written}
    missing = [key for key in keys if key not in ids]
    if missing:  # inserted by a concurrent batch after our lookup, identical to ours
        ids.update(await _existing_ids(session, table, key_columns, missing))
    return UpsertOutcome(ids=ids, inserted=inserted, updated=len(written) - inserted)


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def typed(record: Record, model: type[Any]) -> Any:
    assert isinstance(record, model)
    return record
