"""Ingestion's datasets: how each kind of record is checked against what is stored and
written (teams, players and their season stats, games and their final results, odds,
predictions, injuries)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import (
    Game,
    GameStatus,
    Injury,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Prediction,
    Team,
)
from courtside.schemas.ingest import (
    Dataset,
    GameRecord,
    InjuryRecord,
    OddsRecord,
    PlayerRecord,
    PredictionRecord,
    Record,
    TeamRecord,
)
from courtside.services.ingest_upsert import (
    RecordErrors,
    Written,
    ids_by,
    resolve,
    table_of,
    typed,
    upsert,
)

# --- datasets -------------------------------------------------------------------------------


async def _teams(session: AsyncSession, records: Sequence[Record]) -> Written:
    rows = [typed(record, TeamRecord).model_dump() for record in records]
    return Written(main=await upsert(session, table_of(Team), ["abbreviation"], rows))


async def _players(session: AsyncSession, records: Sequence[Record]) -> Written:
    players = [typed(record, PlayerRecord) for record in records]
    teams = await ids_by(
        session,
        Team.abbreviation,
        Team.id,
        [abbr for p in players for abbr in (p.team, *(s.team for s in p.season_stats)) if abbr],
    )
    errors = RecordErrors()
    rows: list[dict[str, Any]] = []
    stats_rows: list[tuple[str, dict[str, Any]]] = []
    for index, player in enumerate(players):
        team_id = resolve(errors, index, "team", player.team, teams, "team")
        rows.append(
            {
                **player.model_dump(exclude={"team", "season_stats"}),
                "team_id": team_id,
            }
        )
        for position, stats in enumerate(player.season_stats):
            stats_team = (
                resolve(errors, index, f"season_stats.{position}.team", stats.team, teams, "team")
                if stats.team
                else team_id
            )
            values = stats.model_dump(exclude={"team"})
            stats_rows.append((player.external_id, {**values, "team_id": stats_team}))
    errors.raise_if_any(len(players))
    main = await upsert(session, table_of(Player), ["external_id"], rows)
    player_ids = {key[0]: row_id for key, row_id in main.ids.items()}
    season_stats = None
    if stats_rows:
        season_stats = await upsert(
            session,
            table_of(PlayerSeasonStats),
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
    games = [typed(record, GameRecord) for record in records]
    teams = await ids_by(
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
        home = resolve(errors, index, "home_team", game.home_team, teams, "team")
        away = resolve(errors, index, "away_team", game.away_team, teams, "team")
        rows.append(
            {
                **game.model_dump(exclude={"home_team", "away_team", "status"}),
                "status": game.status.value,
                "home_team_id": home,
                "away_team_id": away,
            }
        )
    errors.raise_if_any(len(games))
    main = await upsert(session, table_of(Game), ["external_id"], rows, guard=_result_unchanged)
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
    return await ids_by(session, Game.external_id, Game.id, external_ids)


async def _odds(session: AsyncSession, records: Sequence[Record]) -> Written:
    odds = [typed(record, OddsRecord) for record in records]
    games = await _game_ids(session, (o.game for o in odds))
    errors = RecordErrors()
    rows = []
    for index, line in enumerate(odds):
        game_id = resolve(errors, index, "game", line.game, games, "game")
        rows.append({**line.model_dump(exclude={"game"}), "game_id": game_id})
    errors.raise_if_any(len(odds))
    main = await upsert(
        session,
        table_of(OddsSnapshot),
        ["game_id", "bookmaker", "recorded_at"],
        rows,
        touch=None,
    )
    return Written(main=main)


async def _predictions(session: AsyncSession, records: Sequence[Record]) -> Written:
    predictions = [typed(record, PredictionRecord) for record in records]
    games = await _game_ids(session, (p.game for p in predictions))
    errors = RecordErrors()
    rows = []
    for index, prediction in enumerate(predictions):
        game_id = resolve(errors, index, "game", prediction.game, games, "game")
        rows.append({**prediction.model_dump(exclude={"game"}), "game_id": game_id})
    errors.raise_if_any(len(predictions))
    main = await upsert(
        session, table_of(Prediction), ["game_id", "model_version"], rows, touch="created_at"
    )
    return Written(main=main)


async def _injuries(session: AsyncSession, records: Sequence[Record]) -> Written:
    injuries = [typed(record, InjuryRecord) for record in records]
    players = await ids_by(session, Player.external_id, Player.id, (i.player for i in injuries))
    errors = RecordErrors()
    rows = []
    for index, injury in enumerate(injuries):
        player_id = resolve(errors, index, "player", injury.player, players, "player")
        rows.append(
            {
                **injury.model_dump(exclude={"player", "status"}),
                "status": injury.status.value,
                "player_id": player_id,
            }
        )
    errors.raise_if_any(len(injuries))
    main = await upsert(session, table_of(Injury), ["player_id", "reported_on"], rows, touch=None)
    return Written(main=main)


HANDLERS: dict[Dataset, Callable[[AsyncSession, Sequence[Record]], Awaitable[Written]]] = {
    Dataset.TEAMS: _teams,
    Dataset.PLAYERS: _players,
    Dataset.GAMES: _games,
    Dataset.ODDS: _odds,
    Dataset.PREDICTIONS: _predictions,
    Dataset.INJURIES: _injuries,
}
