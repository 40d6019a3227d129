"""Ingestion: the data pipeline's batches of league records, validated and upserted atomically.

A batch is all or nothing. Every record is validated (shape, then references to teams, games
and players by natural key) before anything is written; one bad record refuses the batch with
a 422 that lists each bad record's index and errors. Valid batches are upserted by natural key
with `INSERT … ON CONFLICT DO UPDATE … WHERE <some column differs>`, so a re-sent batch
touches no row (and bumps no `updated_at`), while a changed record updates its row. The write,
its event-log row and the settlement of bets on final results are one unit of work (its owner
commits: the request, or the demo loader); the affected cache namespaces are invalidated
after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import Conflict, TooLarge
from courtside.http_cache import (
    BOARD_SLATES,
    MARKETS_NAMESPACE,
    ODDS_HISTORY,
    RECORDS,
    REFERENCE,
    SCHEDULE,
)
from courtside.schemas.ingest import (
    RECORD_MODELS,
    Dataset,
    IngestResult,
    Record,
)
from courtside.services import audit
from courtside.services.ingest_datasets import HANDLERS
from courtside.services.ingest_upsert import Key, RecordErrors, Written
from courtside.services.late_bets import void_bets_after_tip_off
from courtside.settings import get_ingest_settings
from courtside.unit_of_work import invalidate_on_commit

MAX_AUDITED_KEYS = 50
"""The event-log row lists at most this many natural keys (and the total)."""

NAMESPACES: dict[Dataset, tuple[str, ...]] = {
    Dataset.TEAMS: (REFERENCE, SCHEDULE, BOARD_SLATES),  # games embed team names
    Dataset.PLAYERS: (REFERENCE,),
    Dataset.INJURIES: (REFERENCE,),
    # closing lines' cut-off: tip-off
    Dataset.GAMES: (SCHEDULE, MARKETS_NAMESPACE, RECORDS, BOARD_SLATES),
    Dataset.ODDS: (SCHEDULE, MARKETS_NAMESPACE, ODDS_HISTORY, RECORDS),
    Dataset.PREDICTIONS: (SCHEDULE, BOARD_SLATES),
}
"""Cache namespaces whose entries a write to each dataset makes stale. A write of teams
leaves the records (`RECORDS`) alone: a record shows a team by its abbreviation, the key a
teams write matches rows on, so never one it changes."""


def check_batch_size(received: int) -> None:
    limit = get_ingest_settings().ingest_max_records
    if received > limit:
        raise TooLarge(
            "too_many_records",
            f"A batch holds at most {limit} records; this one has {received}. Split it.",
            details={"max_records": limit, "received": received},
        )


def validate_records(dataset: Dataset, raw: Sequence[Mapping[str, Any]]) -> list[Record]:
    """Every record in the dataset's shape, or a 422 listing each bad record; no duplicates."""
    model = RECORD_MODELS[dataset]
    errors = RecordErrors()
    records: list[Record] = []
    first_index: dict[Key, int] = {}
    for index, item in enumerate(raw):
        try:
            record = model.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                msg = str(err.get("msg", "")).removeprefix("Value error, ")
                errors.add(index, [str(p) for p in err.get("loc", ())], msg, str(err["type"]))
            continue
        key = record.natural_key()
        if key in first_index:
            errors.add(
                index,
                [],
                f"duplicate of record {first_index[key]} (same natural key {_key_text(key)})",
                "duplicate_record",
            )
            continue
        first_index[key] = index
        records.append(record)
    errors.raise_if_any(len(raw))
    return records


async def ingest(
    session: AsyncSession,
    dataset: Dataset,
    raw: Sequence[Mapping[str, Any]],
    *,
    actor: audit.Actor,
) -> IngestResult:
    """Validate, upsert, record the event and settle final results; the affected cache
    namespaces are invalidated after the unit of work commits (an error writes nothing)."""
    check_batch_size(len(raw))
    records = validate_records(dataset, raw)
    try:
        written = await HANDLERS[dataset](session, records)
        settled: int | None = None
        voided: int | None = None
        if dataset is Dataset.GAMES:
            voided = await void_bets_after_tip_off(session, list(written.main.ids.values()))
            settled = await _settle(session, written.final_game_ids)
        result_counts = written.main.counts()
        event = await audit.record(
            session,
            actor=actor,
            action=f"ingest.{dataset.value}",
            target=dataset.value,
            details=_summary(records, written, settled, voided),
        )
    except IntegrityError as exc:
        raise Conflict(
            "conflict",
            "The batch conflicts with data stored meanwhile; nothing was written. Retry it.",
        ) from exc
    if _changed(written):
        invalidate_on_commit(session, *NAMESPACES[dataset])
    return IngestResult(
        dataset=dataset,
        received=len(raw),
        inserted=result_counts.inserted,
        updated=result_counts.updated,
        unchanged=result_counts.unchanged,
        season_stats=written.season_stats.counts() if written.season_stats else None,
        bets_settled=settled,
        event_id=event.id,
    )


def _changed(written: Written) -> bool:
    outcomes = [written.main, written.season_stats]
    return any(o is not None and (o.inserted or o.updated) for o in outcomes)


async def _settle(session: AsyncSession, game_ids: Sequence[int]) -> int:
    """Settle the bets of final games and refund postponed ones, in this transaction."""
    if not game_ids:
        return 0
    # lazy: settlement (notifications, e-mail) loads only for final results
    from courtside.services.settlement import settle_games

    return await settle_games(session, game_ids)


def _key_text(key: Key) -> str:
    return "|".join(
        part.isoformat() if isinstance(part, datetime | date) else str(part) for part in key
    )


def _summary(
    records: Sequence[Record], written: Written, settled: int | None, voided: int | None = None
) -> dict[str, Any]:
    counts = written.main.counts()
    keys = [_key_text(record.natural_key()) for record in records]
    summary: dict[str, Any] = {
        "received": len(records),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "keys": keys[:MAX_AUDITED_KEYS],
        "keys_total": len(keys),
    }
    if written.season_stats is not None:
        summary["season_stats"] = written.season_stats.counts().model_dump()
    if settled is not None:
        summary["bets_settled"] = settled
    if voided:
        summary["bets_refunded_after_tip_off"] = voided
    return summary
