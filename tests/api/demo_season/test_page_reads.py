"""The pages' column reads sent on the session's connection (`page_reads.read_columns`,
issue 23) give the rows `AsyncSession.execute` gives, values and types, for every statement
moved there (the page's sign-in state with its viewer, the board's markets, the game page's
history, the record's bets and its page of bets with its count), on both dialects; and with
changes pending in the session they are still read through `execute`, which flushes them
first. Each reads the demo season (loaded once: conftest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from courtside.auth import principal
from courtside.auth.principal import load_token_state_and_viewer
from courtside.models import Game, Notification, User
from courtside.services import analytics, board, closing_line, game_rows, record_lines
from courtside.services.page_reads import read_columns, read_prepared
from scripts.demo_bets import seed_bet_history
from tests.api.demo_season.season import NOW
from tests.helpers import both_dialects


def _typed(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(*row, *map(type, row)) for row in rows]


async def _same(session: AsyncSession, statement: Any, params: dict[str, Any]) -> int:
    expected = (await session.execute(statement, params)).all()
    got = (await read_columns(session, statement, params)).all()
    assert _typed(got) == _typed(expected)
    return len(got)


async def _statements(session: AsyncSession, user_id: int) -> list[tuple[Any, dict[str, Any]]]:
    postgresql = session.get_bind().dialect.name == "postgresql"
    games = list(await session.scalars(select(Game.id).order_by(Game.start_time).limit(60)))
    found: list[tuple[Any, dict[str, Any]]] = [
        (principal._state_and_viewer_query(), {"user": user_id, "jti": "some-token"}),
        (closing_line._shown_query(postgresql), {"games": games, "open": games[::2]}),
        (analytics._bet_rows_query(False, postgresql), {"user": user_id}),
        (analytics._bet_rows_query(True, postgresql), {"user": user_id}),
    ]
    found += [(board._history_query(), {"game": game}) for game in games[::7]]
    for sort in ("newest", "profit"):
        page, count = record_lines._statements(sort, None, False, False, False)
        found += [(page, {"user": user_id, "limit": 25, "offset": 0}), (count, {"user": user_id})]
    return found


@both_dialects
async def test_the_connection_reads_the_rows_the_session_reads(
    session: AsyncSession, cache: object
) -> None:
    assert await seed_bet_history(session, username="demo-user", games=40, now=NOW) == 40
    user_id = await session.scalar(select(User.id).where(User.username == "demo-user"))
    assert user_id is not None
    rows = 0
    for statement, params in await _statements(session, user_id):
        rows += await _same(session, statement, params)
    assert rows > 500


@both_dialects
async def test_pending_changes_are_flushed_first(session: AsyncSession, cache: object) -> None:
    """A notification added but not flushed yet counts in the viewer's unread, as it did
    through `execute`'s autoflush."""
    await seed_bet_history(session, username="demo-user", games=3, now=NOW)
    user_id = await session.scalar(select(User.id).where(User.username == "demo-user"))
    assert user_id is not None
    before = (await load_token_state_and_viewer(session, user_id, "t"))[1].unread
    session.add(Notification(user_id=user_id, bet_id=None, kind="bet_settled", message="x"))
    assert (await load_token_state_and_viewer(session, user_id, "t"))[1].unread == before + 1


@both_dialects
async def test_the_prepared_slates_read_the_rows_the_session_reads(
    session: AsyncSession, cache: object
) -> None:
    """Every shape of `board.SLATES` / `board.GAME_SLATES`, sent by `read_prepared` (on
    PostgreSQL the SQL compiled once, on the driver's connection), gives `execute`'s rows
    of the same statement, values and types; with a change pending it flushes it first."""
    assert await seed_bet_history(session, username="demo-user", games=30, now=NOW) == 30
    user_id = await session.scalar(select(User.id).where(User.username == "demo-user"))
    games = list(
        await session.scalars(
            select(Game)
            .options(selectinload(Game.home_team))
            .order_by(Game.start_time.desc())
            .limit(60)
        )
    )
    games.reverse()
    assert user_id is not None and games
    first = await session.scalar(select(Game.start_time).order_by(Game.start_time).limit(1))
    assert first is not None
    start, end = first, games[-1].start_time  # the demo-user's bets, and the games to come
    rows = bets = 0
    for (viewing, one_team), statement in board.SLATES.items():
        params: dict[str, Any] = {"start": start, "end": end, "limit": 2000}
        params |= {"viewer": user_id} if viewing else {}
        params |= {"team": games[0].home_team.abbreviation} if one_team else {}
        expected = (await session.execute(statement.statement, params)).all()
        got = await read_prepared(session, statement, params)
        assert _typed(got) == _typed(expected)
        rows += len(got)
        bets += sum(1 for row in got if viewing and row[game_rows.WIDTH + 1] is not None)
    for viewing, statement in board.GAME_SLATES.items():
        for game in games[::9]:
            params = {"game": game.id} | ({"viewer": user_id} if viewing else {})
            expected = (await session.execute(statement.statement, params)).all()
            assert _typed(await read_prepared(session, statement, params)) == _typed(expected)
    assert rows > 500 and bets >= 30

    game = next(g for g in reversed(games) if g.status == "scheduled")
    assert (await board.game_slate(session, game.id)).games[0].status == "scheduled"
    game.status = "postponed"  # pending: read_prepared must flush it first
    assert (await board.game_slate(session, game.id)).games[0].status == "postponed"
