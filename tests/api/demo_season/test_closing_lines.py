"""The closing quotes' two statements, `LATERAL` in index order (`closing_line.closing_lateral`,
issue 23) and the window over the quotes (`closing_line.closing_ranked`), give the same rows
over the demo season (loaded once: conftest.py) with the demo history and the closing-line edge
cases, row for row, in order: the record's bets, the board's shown quotes, and the track
record's closing markets. PostgreSQL only: SQLite has no `LATERAL`. The edge cases alone, on
both dialects, and the quotes computed in Python: tests/api/betting/test_closing_lateral.py."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game
from scripts.demo_bets import seed_bet_history
from tests.api.betting.test_closing_lateral import _closing_rows, _edge_cases, _rows, _shown
from tests.api.demo_season.season import NOW


async def test_lateral_and_window_give_the_same_rows(session: AsyncSession, cache: object) -> None:
    """PostgreSQL (the only dialect with `LATERAL`): the two statements, row for row, in
    order, over the demo season with its history and the edge cases."""
    assert await seed_bet_history(session, username="demo-user", games=40, now=NOW) == 40
    users = list(await session.scalars(select(Bet.user_id).distinct()))
    users += await _edge_cases(session)
    compared = 0
    for user_id in users:
        for decided_only in (False, True):
            window = await _rows(session, user_id, decided_only=decided_only, lateral=False)
            lateral = await _rows(session, user_id, decided_only=decided_only, lateral=True)
            assert lateral == window, (user_id, decided_only)
            compared += sum(row[9] is not None for row in window)
    assert compared > 200  # the demo's 40 decided bets' quotes (3 books each), twice


async def test_the_shown_quotes_lateral_and_window_give_the_same_rows(
    session: AsyncSession, cache: object
) -> None:
    """PostgreSQL: the board's two statements, row for row, over the demo season's games
    (a board's worth at a time, some open, some started) and the edge cases."""
    await _edge_cases(session)
    ids = list(await session.scalars(select(Game.id).order_by(Game.start_time, Game.id)))
    compared = 0
    for start in range(0, len(ids), 27):
        board = ids[start : start + 27]
        for open_ in ([], board[::3], board):
            window = await _shown(session, board, open_, lateral=False)
            lateral = await _shown(session, board, open_, lateral=True)
            assert lateral == window, (board, open_)
            compared += len(window)
    assert compared > 2_000


async def test_the_closing_markets_lateral_and_window_give_the_same_rows(
    session: AsyncSession, cache: object
) -> None:
    """PostgreSQL: `closing_markets`' two statements, row for row, over every game of the
    demo season (the track record reads all the final ones at once) and the edge cases."""
    await _edge_cases(session)
    ids = list(await session.scalars(select(Game.id).order_by(Game.id)))
    compared = 0
    for games in (ids, ids[::7], ids[-5:]):
        window = await _closing_rows(session, games, lateral=False)
        assert await _closing_rows(session, games, lateral=True) == window, len(games)
        compared += len(window)
    assert compared > 1_000
