"""The betting pages over HTTP: board, placing a bet from the form, my record."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game, utcnow
from courtside.services import placing, settlement
from courtside.services.flags import BETTING_OPEN
from courtside.services.league_calendar import league_today
from courtside.settings import get_app_settings
from courtside.web.static_files import static_url
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, make_slate, refusal_page, set_flag, sign_in
from tests.helpers import both_dialects, make_prediction


async def _bets(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Bet.id))) or 0)


async def _today_slate(session: AsyncSession) -> list[Game]:
    slate = await make_slate(session, games=2, starts_in=timedelta(hours=3))
    await make_prediction(session, slate.games[0], 0.62)
    return slate.games


async def test_the_board_for_anonymous_visitors(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _today_slate(session)
    await session.commit()
    response = await client.get("/", headers=HTML)
    assert response.status_code == 200
    page = response.text
    assert "BOS" in page
    assert "NYK" in page
    assert "-150" in page
    assert "+130" in page
    assert "60.0%" in page  # implied probability of -150
    assert "62.0%" in page  # the model's home win probability
    assert "38.0%" in page
    assert 'action="/bets"' not in page
    assert "Sign in</a> to place simulated bets" in page


@both_dialects
async def test_place_a_bet_from_the_board_and_a_double_submit(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await _today_slate(session))[0]
    await session.commit()
    sign_in(client, user)
    board = await client.get("/", headers=HTML)
    assert 'action="/bets"' in board.text
    assert "1,000.00" in board.text
    form = {"csrf_token": csrf_from(board.text), "game_id": str(game.id), "side": "away"}

    placed = await client.post("/bets", data={**form, "stake": "25.50"}, headers=HTML)
    assert placed.status_code == 303
    assert placed.headers["location"].startswith("/?placed=")
    followed = await client.get(placed.headers["location"], headers=HTML)
    assert "Bet placed: 25.50 on New York Knicks at +130 (" in followed.text
    assert "974.50" in followed.text

    again = await client.post("/bets", data={**form, "stake": "25.50"}, headers=HTML)
    assert "You already have a bet on this game." in await refusal_page(client, again)
    assert await _bets(session) == 1


async def test_form_errors_are_shown_next_to_the_game(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await _today_slate(session))[0]
    await session.commit()
    sign_in(client, user)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    base = {"csrf_token": token, "game_id": str(game.id), "side": "home"}

    for stake, text in [
        ("abc", "Enter the stake as a number of units, like 25 or 12.50."),
        ("1.234", "Use at most two decimals (whole cents), like 10.55."),
        ("-5", "The stake must be more than zero."),
        ("0", "The stake must be more than zero."),
        ("5000", "more than your available bankroll of 1,000.00 units"),
    ]:
        response = await client.post("/bets", data={**base, "stake": stake}, headers=HTML)
        page = await refusal_page(client, response)
        assert text in page, stake
        assert f'value="{stake}"' in page  # the stake as typed, to correct it
    no_side = await client.post(
        "/bets", data={"csrf_token": token, "game_id": str(game.id), "stake": "5"}, headers=HTML
    )
    assert "Choose a side" in await refusal_page(client, no_side)
    unknown = await client.post(
        "/bets", data={**base, "game_id": "999999", "stake": "5"}, headers=HTML
    )
    assert unknown.status_code == 404
    assert "<!doctype html>" in unknown.text.lower()
    assert await _bets(session) == 0


async def test_placing_a_bet_needs_the_csrf_token_and_a_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await _today_slate(session))[0]
    await session.commit()
    form = {"game_id": str(game.id), "side": "home", "stake": "5"}

    anonymous = await client.post("/bets", data=form, headers=HTML)
    assert anonymous.status_code in (303, 403)
    sign_in(client, user)
    forged = await client.post("/bets", data={**form, "csrf_token": "forged"}, headers=HTML)
    assert forged.status_code == 403
    missing = await client.post("/bets", data=form, headers=HTML)
    assert missing.status_code == 403
    assert await _bets(session) == 0


async def test_closed_betting_shows_on_the_board_and_refuses_the_form(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await _today_slate(session))[0]
    await set_flag(session, BETTING_OPEN, False)
    await session.commit()
    sign_in(client, user)
    board = await client.get("/", headers=HTML)
    assert 'data-testid="betting-closed"' in board.text
    assert 'action="/bets"' not in board.text
    refused = await client.post(
        "/bets",
        data={
            "csrf_token": csrf_from(board.text),
            "game_id": str(game.id),
            "side": "home",
            "stake": "5",
        },
        headers=HTML,
    )
    assert "Betting is closed at the moment." in await refusal_page(client, refused)


async def test_started_and_final_games_have_no_form(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    first, second = await _today_slate(session)
    first.start_time = second.start_time = utcnow() - timedelta(minutes=5)
    second.status, second.home_score, second.away_score = "final", 99, 101
    await session.commit()
    sign_in(client, user)
    # Their own league day: five minutes ago may be yesterday in New York.
    day = league_today(get_app_settings().zone, first.start_time)
    board = (await client.get(f"/?date={day.isoformat()}", headers=HTML)).text
    assert 'action="/bets"' not in board
    assert "Tipped off" in board
    assert "Final" in board


async def test_the_record_page_needs_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/record", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frecord"


@both_dialects
async def test_the_record_page_lists_bets_and_draws_the_chart(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    games = (await make_slate(session, games=3, home_odds=-110, away_odds=100)).games
    for game in games:
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="home", stake_cents=11_000
        )
    for game, (home, away) in zip(games[:2], [(100, 90), (90, 100)], strict=True):
        game.status, game.home_score, game.away_score = "final", home, away
    await session.flush()
    now = utcnow()
    await settlement.settle_games(session, [games[0].id], now=now - timedelta(days=2))
    await settlement.settle_games(session, [games[1].id], now=now - timedelta(days=1))
    await session.commit()
    sign_in(client, user)

    empty = await client.get("/record", headers=HTML)
    assert empty.status_code == 200
    page = empty.text
    assert '<svg class="chart"' in page
    assert "2 settled bets; profit now -10.00 units." in page
    assert "<polyline" in page
    assert page.count('<span class="status status-') == 3
    assert 'data-testid="record">1-1<' in page
    assert "50.0%" in page
    assert 'href="/record.csv"' in page
    csv = await client.get("/record.csv")
    assert csv.status_code == 200
    assert csv.text.count("\r\n") == 4
    assert (await client.get("/v1/me/bets.csv")).text.count("\r\n") == 4


async def test_no_chart_before_a_bet_is_settled(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    sign_in(client, user)
    page = (await client.get("/record", headers=HTML)).text
    assert 'data-testid="no-chart"' in page
    assert "No bets yet" in page


async def test_unknown_pages_get_the_html_error_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers=HTML)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert f'<link rel="stylesheet" href="{static_url("app.css")}">' in response.text
    assert "Back to the games" in response.text


async def test_a_refunded_bet_leaves_the_rescheduled_game_open_on_the_board(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """docs/web.md's rule: a bet refunded for a postponed game does not count as the user's
    bet when the game is rescheduled; the board shows the refund and a new bet form."""
    user = await make_user(session)
    game = (await _today_slate(session))[0]
    await placing.place_bet(
        session, user_id=user.id, game_id=game.id, side="away", stake_cents=4_000
    )
    game.status = "postponed"
    await session.flush()
    assert await settlement.settle_games(session, [game.id]) == 1
    game.status = "scheduled"
    game.start_time = utcnow() + timedelta(hours=5)
    await session.commit()
    sign_in(client, user)

    board = (await client.get("/", headers=HTML)).text
    assert "status-refunded" in board
    assert f'name="game_id" value="{game.id}"' in board
    form = {"csrf_token": csrf_from(board), "game_id": str(game.id), "side": "home"}
    placed = await client.post("/bets", data={**form, "stake": "10"}, headers=HTML)
    assert placed.status_code == 303, placed.text
    after = (await client.get("/", headers=HTML)).text
    assert f'name="game_id" value="{game.id}"' not in after  # one live bet: the form closes
    assert "status-open" in after
    again = await client.post("/bets", data={**form, "stake": "10"}, headers=HTML)
    assert "You already have a bet on this game." in await refusal_page(client, again)
    assert await _bets(session) == 2
