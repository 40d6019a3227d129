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

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, and_, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.errors import ApiError
from courtside.http_cache import REFERENCE, SCHEDULE
from courtside.models import (
    Base,
    Game,
    GameStatus,
    Injury,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Prediction,
    Team,
    utcnow,
)
from courtside.schemas.ingest import (
    RECORD_MODELS,
    Dataset,
    GameRecord,
    IngestCounts,
    IngestResult,
    InjuryRecord,
    OddsRecord,
    PlayerRecord,
    PredictionRecord,
    Record,
    TeamRecord,
)
from courtside.services import audit
from courtside.services.late_bets import void_bets_after_tip_off
from courtside.settings import get_ingest_settings
from courtside.unit_of_work import invalidate_on_commit

MAX_REPORTED_RECORDS = 100
"""A 422 lists at most this many bad records (its message gives the total)."""
MAX_AUDITED_KEYS = 50
"""The event-log row lists at most this many natural keys (and the total)."""

NAMESPACES: dict[Dataset, tuple[str, ...]] = {
    Dataset.TEAMS: (REFERENCE, SCHEDULE),  # games and standings embed team names
    Dataset.PLAYERS: (REFERENCE,),
    Dataset.INJURIES: (REFERENCE,),
    Dataset.GAMES: (SCHEDULE,),
    Dataset.ODDS: (SCHEDULE,),
    Dataset.PREDICTIONS: (SCHEDULE,),
}
"""Cache namespaces whose entries a write to each dataset makes stale."""

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
        raise ApiError(
            422,
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


def check_batch_size(received: int) -> None:
    limit = get_ingest_settings().ingest_max_records
    if received > limit:
        raise ApiError(
            413,
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
        written = await _HANDLERS[dataset](session, records)
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
        raise ApiError(
            409,
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


# --- references -----------------------------------------------------------------------------


async def _ids_by(
    session: AsyncSession, column: Any, id_column: Any, values: Iterable[str]
) -> dict[str, int]:
    wanted = sorted(set(values))
    if not wanted:
        return {}
    rows = await session.execute(select(column, id_column).where(column.in_(wanted)))
    return {value: row_id for value, row_id in rows}


def _resolve(
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
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
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


async def _upsert(
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


# --- datasets -------------------------------------------------------------------------------


async def _teams(session: AsyncSession, records: Sequence[Record]) -> Written:
    rows = [_typed(record, TeamRecord).model_dump() for record in records]
    return Written(main=await _upsert(session, _table(Team), ["abbreviation"], rows))


async def _players(session: AsyncSession, records: Sequence[Record]) -> Written:
    players = [_typed(record, PlayerRecord) for record in records]
    teams = await _ids_by(
        session,
        Team.abbreviation,
        Team.id,
        [abbr for p in players for abbr in (p.team, *(s.team for s in p.season_stats)) if abbr],
    )
    errors = RecordErrors()
    rows: list[dict[str, Any]] = []
    stats_rows: list[tuple[str, dict[str, Any]]] = []
    for index, player in enumerate(players):
        team_id = _resolve(errors, index, "team", player.team, teams, "team")
        rows.append(
            {
                **player.model_dump(exclude={"team", "season_stats"}),
                "team_id": team_id,
            }
        )
        for position, stats in enumerate(player.season_stats):
            stats_team = (
                _resolve(errors, index, f"season_stats.{position}.team", stats.team, teams, "team")
                if stats.team
                else team_id
            )
            values = stats.model_dump(exclude={"team"})
            stats_rows.append((player.external_id, {**values, "team_id": stats_team}))
    errors.raise_if_any(len(players))
    main = await _upsert(session, _table(Player), ["external_id"], rows)
    player_ids = {key[0]: row_id for key, row_id in main.ids.items()}
    season_stats = None
    if stats_rows:
        season_stats = await _upsert(
            session,
            _table(PlayerSeasonStats),
            ["player_id", "season"],
            [
                {**values, "player_id": player_ids[external_id]}
                for external_id, values in stats_rows
            ],
            touch=None,
        )
    return Written(main=main, season_stats=season_stats)


async def _games(session: AsyncSession, records: Sequence[Record]) -> Written:
    """Upsert games; a final result that bets were settled on is never changed.

    Read-decide-write under row locks: the stored games of the batch are locked (in key
    order, the order the upsert writes them) before their results are compared, so a
    concurrent batch for the same game waits and then sees this one's result. A game that
    does not exist yet has no row to lock: the upsert's guard refuses to overwrite a final
    result a concurrent batch inserted meanwhile, and the check after the write refuses the
    batch with the same error.
    """
    games = [_typed(record, GameRecord) for record in records]
    teams = await _ids_by(
        session,
        Team.abbreviation,
        Team.id,
        [abbr for g in games for abbr in (g.home_team, g.away_team)],
    )
    external_ids = [g.external_id for g in games]
    errors = RecordErrors()
    _check_final_results(errors, games, await _final_results(session, external_ids, lock=True))
    rows: list[dict[str, Any]] = []
    for index, game in enumerate(games):
        home = _resolve(errors, index, "home_team", game.home_team, teams, "team")
        away = _resolve(errors, index, "away_team", game.away_team, teams, "team")
        rows.append(
            {
                **game.model_dump(exclude={"home_team", "away_team", "status"}),
                "status": game.status.value,
                "home_team_id": home,
                "away_team_id": away,
            }
        )
    errors.raise_if_any(len(games))
    main = await _upsert(session, _table(Game), ["external_id"], rows, guard=_result_unchanged)
    raced = RecordErrors()
    _check_final_results(raced, games, await _final_results(session, external_ids))
    raced.raise_if_any(len(games))
    settled_statuses = (GameStatus.FINAL, GameStatus.POSTPONED)
    final_ids = tuple(
        sorted(main.ids[(game.external_id,)] for game in games if game.status in settled_statuses)
    )
    return Written(main=main, final_game_ids=final_ids)


FinalResult = tuple[GameStatus, int | None, int | None]


def _check_final_results(
    errors: RecordErrors, games: Sequence[GameRecord], finals: Mapping[str, FinalResult]
) -> None:
    for index, game in enumerate(games):
        stored = finals.get(game.external_id)
        if stored is not None and (game.status, game.home_score, game.away_score) != stored:
            errors.add(
                index,
                ["status"],
                f"game {game.external_id} is final ({stored[1]}-{stored[2]}) and its bets are "
                "settled; a final result cannot be changed or reopened",
                "final_result_locked",
            )


def _result_unchanged(table: Table, excluded: Any) -> Any:
    """The upsert guard of games: a final row is updated only if its result stays the same."""
    return or_(
        table.c.status != GameStatus.FINAL.value,
        and_(
            excluded.status == GameStatus.FINAL.value,
            excluded.home_score == table.c.home_score,
            excluded.away_score == table.c.away_score,
        ),
    )


async def _final_results(
    session: AsyncSession, external_ids: Sequence[str], *, lock: bool = False
) -> dict[str, FinalResult]:
    """Stored final games among these, with their scores: results that bets were settled on.

    With `lock`, every stored game of these (final or not) is locked `FOR UPDATE` in key
    order on PostgreSQL, so the decision stays true until this transaction ends. (SQLite
    has one writer at a time: `BEGIN IMMEDIATE` already serialises batches.)
    """
    query = (
        select(Game.external_id, Game.status, Game.home_score, Game.away_score)
        .where(Game.external_id.in_(sorted(set(external_ids))))
        .order_by(Game.external_id)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rows = await session.execute(query)
    return {
        external_id: (GameStatus.FINAL, home, away)
        for external_id, status, home, away in rows
        if status == GameStatus.FINAL.value
    }


async def _game_ids(session: AsyncSession, external_ids: Iterable[str]) -> dict[str, int]:
    return await _ids_by(session, Game.external_id, Game.id, external_ids)


async def _odds(session: AsyncSession, records: Sequence[Record]) -> Written:
    odds = [_typed(record, OddsRecord) for record in records]
    games = await _game_ids(session, (o.game for o in odds))
    errors = RecordErrors()
    rows = []
    for index, line in enumerate(odds):
        game_id = _resolve(errors, index, "game", line.game, games, "game")
        rows.append({**line.model_dump(exclude={"game"}), "game_id": game_id})
    errors.raise_if_any(len(odds))
    main = await _upsert(
        session,
        _table(OddsSnapshot),
        ["game_id", "bookmaker", "recorded_at"],
        rows,
        touch=None,
    )
    return Written(main=main)


async def _predictions(session: AsyncSession, records: Sequence[Record]) -> Written:
    predictions = [_typed(record, PredictionRecord) for record in records]
    games = await _game_ids(session, (p.game for p in predictions))
    errors = RecordErrors()
    rows = []
    for index, prediction in enumerate(predictions):
        game_id = _resolve(errors, index, "game", prediction.game, games, "game")
        rows.append({**prediction.model_dump(exclude={"game"}), "game_id": game_id})
    errors.raise_if_any(len(predictions))
    main = await _upsert(
        session, _table(Prediction), ["game_id", "model_version"], rows, touch="created_at"
    )
    return Written(main=main)


async def _injuries(session: AsyncSession, records: Sequence[Record]) -> Written:
    injuries = [_typed(record, InjuryRecord) for record in records]
    players = await _ids_by(session, Player.external_id, Player.id, (i.player for i in injuries))
    errors = RecordErrors()
    rows = []
    for index, injury in enumerate(injuries):
        player_id = _resolve(errors, index, "player", injury.player, players, "player")
        rows.append(
            {
                **injury.model_dump(exclude={"player", "status"}),
                "status": injury.status.value,
                "player_id": player_id,
            }
        )
    errors.raise_if_any(len(injuries))
    main = await _upsert(session, _table(Injury), ["player_id", "reported_on"], rows, touch=None)
    return Written(main=main)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _typed(record: Record, model: type[Any]) -> Any:
    assert isinstance(record, model)
    return record


_HANDLERS: dict[Dataset, Callable[[AsyncSession, Sequence[Record]], Awaitable[Written]]] = {
    Dataset.TEAMS: _teams,
    Dataset.PLAYERS: _players,
    Dataset.GAMES: _games,
    Dataset.ODDS: _odds,
    Dataset.PREDICTIONS: _predictions,
    Dataset.INJURIES: _injuries,
}
