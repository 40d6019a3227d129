"""What a signed-in page costs the database: counted, not timed (issue 23).

Each page a signed-in person waits for (the board, my record, a game page, the admin's users)
sends at most `PAGE_STATEMENTS[page]` SQL statements once warm (the flags, the team list and
the board's markets come from the cache), counted with SQLAlchemy's `before_cursor_execute` on
both dialects.
The world has what makes pages send more: games open and started today (the closing line),
predictions, odds from two bookmakers, an open bet, settled bets (the chart) and a bankroll
reset. The test harness's own SAVEPOINTs are not the page's and are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from courtside.models import utcnow
from courtside.services import bankroll, placing, settlement
from courtside.services.audit import SYSTEM
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, make_slate, sign_in
from tests.helpers import both_dialects, make_odds, make_prediction

PAGE_STATEMENTS = {"board": 1, "record": 1, "game page": 1, "admin users": 2}
"""The board and the game page: the viewer (with the wallet). Their games with their teams,
newest prediction and the viewer's bet on each (`board.Slate`: the bets were a statement of
their own until issue 23's round, the slate itself until the eleventh pass) come from the cache
once read (`page_slates.board_slate_reads`, `page_slates.game_page_reads`), and so do the
board's markets (`closing_line.shown_markets`, a statement until the sixth pass) and the game
page's odds
history (`board.odds_history_read`, until the tenth pass). Admin users: the viewer and
the page of users. The record's analytics section (issue 25) first made it 7 (the decided bets with
their games, their closing lines, the user's unit), then 4 with them folded into its own reads (the
unit with the viewer read, one read of the user's bets with their games, the team backed and the
closing quotes for the summary, the chart and the analytics, `record_reads.record_rows`, the
bankroll resets, the page of bets); since the tenth pass the rows and the resets come from the
cache once read (`record_reads.record_page_reads`), and since the eleventh the page of bets the
record opens on too (`record_lines.first_page_read`): the viewer alone. A filtered record or
another page of it still reads its bets (`test_a_filtered_record_reads_its_page_of_bets`)."""


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "SAVEPOINT" not in statement.upper():
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _world(session: AsyncSession) -> dict[str, Any]:
    user = await make_user(session)
    admin = await make_user(session, role="Admin")
    await bankroll.reset_bankroll(session, user_id=user.id, actor=SYSTEM)
    slate = await make_slate(session, games=4, starts_in=timedelta(hours=2))
    now = utcnow()
    games = slate.games
    for game in games:
        await make_prediction(session, game, 0.55)
        await make_odds(session, game, -140, 120, now - timedelta(minutes=20), bookmaker="other")
    await make_prediction(session, games[0], 0.6, version="v2")
    for game in games[:3]:
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="home", stake_cents=1_000
        )
    games[0].status, games[0].home_score, games[0].away_score = "final", 100, 90
    games[1].status, games[1].home_score, games[1].away_score = "final", 80, 90
    games[3].start_time = now - timedelta(minutes=5)  # tipped off: the closing line
    await session.flush()
    await settlement.settle_games(session, [games[0].id, games[1].id])
    await session.commit()
    return {
        "board": (user, "/"),
        "record": (user, "/record"),
        "game page": (user, f"/games/{games[2].id}"),
        "admin users": (admin, "/admin/users"),
    }


@both_dialects
@pytest.mark.parametrize("page", sorted(PAGE_STATEMENTS))
async def test_statements_per_signed_in_page(
    client: httpx.AsyncClient, session: AsyncSession, engine: AsyncEngine, page: str
) -> None:
    user, url = (await _world(session))[page]
    sign_in(client, user)
    first = await client.get(url, headers=HTML)  # fills the caches (flags, teams)
    assert first.status_code == 200, first.text
    with counting(engine) as statements:
        response = await client.get(url, headers=HTML)
    assert response.status_code == 200, response.text
    assert len(statements) <= PAGE_STATEMENTS[page], "\n".join(statements)
    if page == "board":  # the viewer's bets come with the games: all three still shown
        assert response.text.count('data-testid="my-bet"') == 3


async def test_a_filtered_record_reads_its_page_of_bets(
    client: httpx.AsyncClient, session: AsyncSession, engine: AsyncEngine
) -> None:
    """Only the record's opening view comes from the cache: a filter, another order or another
    page is a statement of its own (`record_lines.bet_lines`), and shows what it asked for."""
    user, url = (await _world(session))["record"]
    sign_in(client, user)
    for query, shown in (("", 3), ("?status=won", 1), ("?sort=stake", 3), ("?status=open", 1)):
        assert (await client.get(url + query, headers=HTML)).status_code == 200
        with counting(engine) as statements:
            response = await client.get(url + query, headers=HTML)
        assert response.status_code == 200, response.text
        assert len(statements) == (1 if query == "" else 2), "\n".join(statements)
        assert response.text.count('<td data-label="Placed">') == shown, query
