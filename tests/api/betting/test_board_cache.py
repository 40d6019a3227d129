"""What the board reads from the cache (`page_slates.board_slate_reads`, issue 23: a window's games
with their teams and newest predictions in `BOARD_SLATES`, and the viewer's bets on them in
`RECORDS`), instead of the slate's statement.

The cached games, predictions and bets are what `board.games_between` reads, values and types,
on both dialects; and on the app, each write that changes a board, made the way the app makes
it (bets placed and cancelled on the pages; through the pipeline's ingestion a live score, a
result, a new prediction, a team's new name), shows on the very next view: the board served is
the board built from nothing (on an empty cache of its own, `factories.served_as_built`,
which leaves the app's cache as the writes left it), and differs from the one before the write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.domain_errors import NotFound
from courtside.http_cache import (
    BOARD_SLATES,
    RECORDS,
)
from courtside.models import Bet, BetStatus, Team, utcnow
from courtside.services import board, page_slates
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import (
    HTML,
    csrf_from,
    iso_z,
    make_slate,
    pipeline_for,
    served_as_built,
    sign_in,
    typed,
)
from tests.helpers import both_dialects, make_prediction


def _game_values(game: Any) -> list[Any]:
    return [*typed(game[:10]), tuple(game.home_team), tuple(game.away_team)]


@both_dialects
async def test_the_cached_slate_and_bets_are_what_the_statement_reads(
    session: AsyncSession,
) -> None:
    made = await make_slate(session, games=4, starts_in=timedelta(hours=2))
    user = await make_user(session)
    first, second, live, final = made.games
    live.status, live.home_score, live.away_score = "live", 50, 48
    live.period, live.clock_seconds = 3, 125
    final.status, final.home_score, final.away_score = "final", 101, 99
    await make_prediction(session, first, 0.61)
    await make_prediction(session, second, 0.42)
    now = utcnow()
    session.add_all(
        [
            Bet(user_id=user.id, game_id=first.id, side="home", stake_cents=1_000, odds=-150,
                bookmaker="book", odds_recorded_at=now, status=BetStatus.OPEN.value,
                placed_at=now),
            Bet(user_id=user.id, game_id=second.id, side="away", stake_cents=2_500, odds=130,
                bookmaker="book", odds_recorded_at=now, status=BetStatus.REFUNDED.value,
                profit_cents=0,
                placed_at=now, settled_at=now, cancelled_at=now),
        ]
    )  # fmt: skip
    await session.flush()
    start, end = now - timedelta(days=1), now + timedelta(days=2)
    for team in (None, "BOS"):
        plain = await board.games_between(session, start, end, limit=120, team=team)
        viewed = await board.games_between(
            session, start, end, limit=120, team=team, user_id=user.id
        )
        assert plain.games and viewed.bets
        namespace, key, _, build = page_slates.slate_read(session, start, end, limit=120, team=team)
        assert namespace == BOARD_SLATES and key.endswith(f"/120/{team or '*'}")
        cached = page_slates.slate_of(await build())
        assert [_game_values(g) for g in cached.games] == [_game_values(g) for g in plain.games]
        assert cached.games == plain.games and cached.predictions == plain.predictions
        assert {type(p) for p in cached.predictions.values()} == {float}
        namespace, key, _, build = page_slates.viewer_bets_read(
            session, start, end, limit=120, team=team, user_id=user.id
        )
        assert namespace == RECORDS and key.startswith(f"board-bets:{user.id}:")
        bets = page_slates.bets_of(await build())
        fields = board.ViewerBet.__slots__
        assert {g: typed(getattr(b, f) for f in fields) for g, b in bets.items()} == {
            g: typed(getattr(b, f) for f in fields) for g, b in viewed.bets.items()
        }
        for game in made.games:
            one = await board.game_slate(session, game.id)
            cached = page_slates.slate_of(await page_slates.game_slate_read(session, game.id)[3]())
            assert [_game_values(g) for g in cached.games] == [_game_values(g) for g in one.games]
            assert cached.predictions == one.predictions
            mine = (await board.game_slate(session, game.id, user.id)).bets or {}
            bets_read = page_slates.game_bets_read(session, game.id, user.id)
            assert bets_read[:2] == (RECORDS, f"game-bets:{user.id}:{game.id}")
            assert page_slates.bets_of(await bets_read[3]()) == mine
        with pytest.raises(NotFound):  # nothing to store for an id that is no game's
            await page_slates.game_slate_read(session, 2_000_000)[3]()
        if team is None:  # the refunded (cancelled) bet is on a game that is not Boston's
            assert any(bet.cancelled_at is not None for bet in bets.values())


async def _board(client: httpx.AsyncClient) -> str:
    """The board as served, asserted equal to the board built from nothing."""
    return await served_as_built(client, "/")


async def _game_page(client: httpx.AsyncClient, game_id: int) -> str:
    """A game page as served, asserted equal to the page built from nothing."""
    return await served_as_built(client, f"/games/{game_id}")


async def test_each_write_of_a_board_shows_on_its_next_view(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = await make_slate(session, games=3, starts_in=timedelta(hours=2))
    user = await make_user(session)
    pipeline = await pipeline_for(client, session, made)
    await session.commit()
    sign_in(client, user)
    teams = pipeline.teams

    ingest, game_record = pipeline.ingest, pipeline.game_record

    first, second, third = made.games
    pages = [await _board(client)]
    game_pages = [await _game_page(client, third.id)]
    assert (await _board(client)) == pages[-1]  # cached
    assert (await _game_page(client, third.id)) == game_pages[-1]

    async def changed(what: str, shown: str, *, on_its_page: bool | None = True) -> None:
        """`on_its_page`: whether the third game's page changes too (None: its layout shows
        the bankroll, which a bet on another game changes)."""
        page = await _board(client)
        assert page != pages[-1], what
        assert shown in page, what
        pages.append(page)
        game_page = await _game_page(client, third.id)  # the third game's: always fresh
        if on_its_page is not None:
            assert (game_page != game_pages[-1]) is on_its_page, what
        game_pages.append(game_page)

    for game in (first, second):
        placed = await client.post(
            "/bets",
            data={"csrf_token": csrf_from((await client.get("/", headers=HTML)).text),
                  "game_id": str(game.id), "side": "home", "stake": "10"},
            headers=HTML,
        )  # fmt: skip
        assert placed.status_code == 303, placed.text
        await changed(f"a bet placed on {game.id}", 'data-testid="my-bet"', on_its_page=None)

    bet_id = await session.scalar(
        select(Bet.id).where(Bet.user_id == user.id, Bet.game_id == second.id)
    )
    cancelled = await client.post(
        f"/bets/{bet_id}/cancel",
        data={"csrf_token": csrf_from((await client.get("/", headers=HTML)).text)},
        headers=HTML,
    )
    assert cancelled.status_code == 303, cancelled.text
    await changed("a bet cancelled", "status-cancelled", on_its_page=None)

    game_page = (await client.get(f"/games/{third.id}", headers=HTML)).text
    placed = await client.post(
        "/bets",
        data={"csrf_token": csrf_from(game_page), "game_id": str(third.id), "side": "away",
              "stake": "5", "back": "game"},
        headers=HTML,
    )  # fmt: skip
    assert placed.status_code == 303, placed.text
    await changed("a bet placed on its game page", 'data-testid="my-bet"')
    assert 'data-testid="my-bet"' in game_pages[-1]

    await ingest("predictions", [{"game": third.external_id, "model_version": "v9",
                                  "home_win_probability": 0.731}])  # fmt: skip
    await changed("a new prediction", "73.1%")

    tipped_off = iso_z(utcnow() - timedelta(minutes=10))
    await ingest("games", [game_record(third, status="live", home_score=12, away_score=9,
                                       period=1, clock_seconds=300,
                                       start_time=tipped_off)])  # fmt: skip
    await changed("a live score", "Live · Q1 5:00")

    await ingest("games", [game_record(third, status="final", home_score=101, away_score=99,
                                       start_time=tipped_off)])  # fmt: skip
    await changed("a result", ">101<")

    bos = next(team for team in teams.values() if team.abbreviation == "BOS")
    conference, division = (
        await session.execute(select(Team.conference, Team.division).where(Team.id == bos.id))
    ).one()
    await ingest("teams", [{"abbreviation": "BOS", "city": "Boston", "name": "Shamrocks",
                            "conference": conference, "division": division}])  # fmt: skip
    await changed("a team's new name", "Shamrocks")
