"""The board's and the game page's games read from the cache (issue 23, eleventh pass).

Each page's own statement read its games with both teams, the newest prediction and the
viewer's bet on each (`board.games_between`, `board.game_slate`). What it read is now two
cache entries, read with the page's other cache reads in one `MGET`:

- the games and their predictions, the same for every viewer, in `BOARD_SLATES`, which a
  write of teams, games or predictions invalidates (`ingest.NAMESPACES`);
- the viewer's bets on them in `RECORDS`, which every write of bets invalidates after its
  commit (`placing`, `settlement`, `late_bets`, ingestion of games and odds).

On a miss each is built by the statement it replaces; the values are JSON (times in ISO
8601 with their offset), read back as the statement's rows (`tests/api/betting/
test_board_cache.py` compares them, and each write against the page built from nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.cache import CacheRead, get_cache
from courtside.domain_errors import NotFound
from courtside.http_cache import BOARD_SLATES, RECORDS
from courtside.services import flags, reference_data
from courtside.services.board import (
    GAME_SLATES,
    Slate,
    ViewerBet,
    games_between,
    history_of,
    odds_history_read,
    read_slate,
)
from courtside.services.closing_line import QuoteRow
from courtside.services.game_rows import GameRow
from courtside.services.reference_data import TeamRef
from courtside.settings import get_cache_settings


def _window_key(start: datetime, end: datetime, limit: int, team: str | None) -> str:
    """`team` None: every team's games (`games_between` takes no empty code)."""
    return f"{start.isoformat()}/{end.isoformat()}/{limit}/{'*' if team is None else team}"


def slate_read(
    session: AsyncSession, start: datetime, end: datetime, *, limit: int, team: str | None
) -> CacheRead:
    """`games_between`'s games and predictions (no viewer) as a cache read (`Cache.get_or_build`'s
    arguments; `slate_of` its value), in `BOARD_SLATES`."""

    async def build() -> bytes:
        return slate_json(await games_between(session, start, end, limit=limit, team=team))

    key = _window_key(start, end, limit, team)
    return BOARD_SLATES, key, get_cache_settings().cache_ttl_seconds, build


def viewer_bets_read(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    team: str | None,
    user_id: int,
) -> CacheRead:
    """The viewer's bet on each of `games_between`'s games as a cache read (`bets_of` its
    value), in `RECORDS`, which every write of bets invalidates after its commit."""

    async def build() -> bytes:
        slate = await games_between(session, start, end, limit=limit, team=team, user_id=user_id)
        return bets_json(slate.bets or {})

    key = f"board-bets:{user_id}:{_window_key(start, end, limit, team)}"
    return RECORDS, key, get_cache_settings().cache_ttl_seconds, build


def slate_json(slate: Slate) -> bytes:
    """A slate's games (their teams nested) and predictions as JSON, times in ISO 8601."""
    games = [[*game[:2], game.start_time.isoformat(), *game[3:]] for game in slate.games]
    predictions = list(slate.predictions.items())
    return json.dumps([games, predictions], separators=(",", ":")).encode()


def slate_of(raw: bytes) -> Slate:
    """The slate `slate_json` wrote, as `games_between` read it (values and types)."""
    games_raw, predictions = json.loads(raw)
    games = []
    for row in games_raw:
        row[2] = datetime.fromisoformat(row[2])
        row[-2], row[-1] = TeamRef(*row[-2]), TeamRef(*row[-1])
        games.append(GameRow(*row))
    return Slate(games, {game_id: probability for game_id, probability in predictions})


def bets_json(bets: dict[int, ViewerBet]) -> bytes:
    """The viewer's bets as JSON (`cancelled_at` in ISO 8601)."""
    rows = []
    for bet in bets.values():
        values: list[Any] = [getattr(bet, name) for name in ViewerBet.__slots__]
        if bet.cancelled_at is not None:
            values[-1] = bet.cancelled_at.isoformat()
        rows.append(values)
    return json.dumps(rows, separators=(",", ":")).encode()


def bets_of(raw: bytes) -> dict[int, ViewerBet]:
    """The bets `bets_json` wrote, by game, as `games_between` read them."""
    bets = {}
    for values in json.loads(raw):
        if values[-1] is not None:
            values[-1] = datetime.fromisoformat(values[-1])
        bet = ViewerBet(*values)
        bets[bet.game_id] = bet
    return bets


@dataclass(frozen=True, slots=True)
class BoardReads:
    slate: Slate
    teams: list[TeamRef]
    flags: dict[str, bool]


async def board_slate_reads(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    team: str | None = None,
    user_id: int | None = None,
) -> BoardReads:
    """The board's games as `games_between` reads them (with the viewer's bets for a
    `user_id`), the teams and the flags: from the cache, in one round trip (issue 23: the
    games were a statement before it). Each is built and cached as on its own on a miss."""
    reads = [
        slate_read(session, start, end, limit=limit, team=team),
        reference_data.teams_read(session),
        flags.flags_read(session),
    ]
    if user_id is not None:
        reads.append(viewer_bets_read(session, start, end, limit=limit, team=team, user_id=user_id))
    answers = await get_cache().get_or_build_each(reads)
    slate = slate_of(answers[0][0])
    if user_id is not None:
        slate = Slate(slate.games, slate.predictions, bets_of(answers[3][0]))
    return BoardReads(slate, reference_data.teams_of(answers[1][0]), flags.flags_of(answers[2][0]))


def game_slate_read(session: AsyncSession, game_id: int) -> CacheRead:
    """`game_slate`'s game and prediction (no viewer) as a cache read (`slate_of` its value),
    in `BOARD_SLATES`. No such game: `NotFound` from the build, so nothing is stored (an id
    is the visitor's to choose) and a page's reads after this one are not built."""

    async def build() -> bytes:
        slate = await read_slate(session, GAME_SLATES[False], {"game": game_id}, None)
        if not slate.games:
            raise NotFound("game", game_id)
        return slate_json(slate)

    return BOARD_SLATES, f"game:{game_id}", get_cache_settings().cache_ttl_seconds, build


def game_bets_read(session: AsyncSession, game_id: int, user_id: int) -> CacheRead:
    """The viewer's bet on the game (`game_slate`'s) as a cache read (`bets_of` its value), in
    `RECORDS`."""

    async def build() -> bytes:
        slate = await read_slate(session, GAME_SLATES[True], {"game": game_id}, user_id)
        return bets_json(slate.bets or {})

    key = f"game-bets:{user_id}:{game_id}"
    return RECORDS, key, get_cache_settings().cache_ttl_seconds, build


@dataclass(frozen=True, slots=True)
class GamePageReads:
    slate: Slate
    """The game as `game_slate` reads it (with the viewer's bet for a `user_id`)."""
    flags: dict[str, bool]
    history: list[QuoteRow]


async def game_page_reads(
    session: AsyncSession, game_id: int, user_id: int | None = None
) -> GamePageReads:
    """The game page's reads from the cache, in one round trip: the game (404 if unknown)
    with its prediction and the viewer's bet, the flags and the game's odds history (issue
    23: the game and the history were a statement each)."""
    reads = [
        game_slate_read(session, game_id),
        flags.flags_read(session),
        odds_history_read(session, game_id),
    ]
    if user_id is not None:
        reads.append(game_bets_read(session, game_id, user_id))
    answers = await get_cache().get_or_build_each(reads)  # misses built in order: 404 first
    slate = slate_of(answers[0][0])
    if user_id is not None:
        slate = Slate(slate.games, slate.predictions, bets_of(answers[3][0]))
    return GamePageReads(slate, flags.flags_of(answers[1][0]), history_of(answers[2][0]))
