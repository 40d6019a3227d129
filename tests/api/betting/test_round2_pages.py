"""The second round's pages over HTTP: the record's filters, pages past the end and its
CSV; the settings page; the smaller fixes (disabled accounts, sign-up in the nav, form
errors on the form, the audit filter's day range, the icon); the new league pages."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, User, utcnow
from courtside.services import placing, settlement
from courtside.services.flags import SIGNUP_OPEN
from tests.api.auth.helpers import PASSWORD, make_user, user_headers
from tests.api.betting.factories import HTML, csrf_from, make_slate, set_flag, sign_in
from tests.helpers import make_player


async def _settled_history(session: AsyncSession, user: User) -> list[Bet]:
    """Three bets: one won (BOS), one lost (LAL), one open (NYK)."""
    slate = await make_slate(session, games=3)
    bets = []
    for game, side in zip(slate.games, ("home", "home", "home"), strict=True):
        bets.append(
            await placing.place_bet(
                session, user_id=user.id, game_id=game.id, side=side, stake_cents=1_000
            )
        )
    first, second, _ = slate.games
    first.status, first.home_score, first.away_score = "final", 100, 90
    second.status, second.home_score, second.away_score = "final", 80, 90
    await session.flush()
    await settlement.settle_games(session, [first.id, second.id])
    return bets


async def test_record_filters_sorting_and_the_filtered_csv(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await _settled_history(session, user)
    await session.commit()
    sign_in(client, user)

    won = await client.get("/record?status=won", headers=HTML)
    assert won.status_code == 200
    assert won.text.count('<span class="status status-') == 1
    assert "status-won" in won.text and "(1 matching)" in won.text
    by_team = await client.get("/record?team=lal", headers=HTML)
    assert by_team.text.count('<span class="status status-') == 1
    assert "status-lost" in by_team.text
    by_profit = await client.get("/record?sort=profit", headers=HTML)
    statuses = re.findall(r'status status-(\w+)"', by_profit.text)
    assert statuses == ["won", "lost", "open"]  # +profit, -stake, then no profit yet

    csv = await client.get("/record.csv?status=won", headers=HTML)
    assert csv.status_code == 200
    assert csv.headers["cache-control"] == "private, no-store"
    lines = csv.text.strip().split("\r\n")
    assert len(lines) == 2 and ",won," in lines[1]
    placed_at = lines[1].split(",")[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00", placed_at)  # league zone

    today = utcnow().date()
    swapped = await client.get(f"/record?from={today}&to={today - timedelta(days=2)}", headers=HTML)
    assert "after the “to” day" in swapped.text

    past = await client.get("/record?page=99", headers=HTML)
    assert past.status_code == 200
    assert "(3)" in past.text and "past the last page" in past.text
    assert "No bets yet" not in past.text


async def test_cancelling_from_the_record_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    bets = await _settled_history(session, user)
    await session.commit()
    sign_in(client, user)
    page = await client.get("/record", headers=HTML)
    assert page.text.count('data-testid="cancel-bet"') == 1  # only the open one
    token = csrf_from(page.text)
    response = await client.post(
        f"/bets/{bets[2].id}/cancel", data={"csrf_token": token}, headers=HTML
    )
    assert response.status_code == 303
    after = await client.get(response.headers["location"], headers=HTML)
    assert "Bet cancelled" in after.text and "status-cancelled" in after.text
    again = await client.post(
        f"/bets/{bets[2].id}/cancel", data={"csrf_token": token}, headers=HTML
    )
    assert again.status_code == 409
    assert "cancelled already" in again.text
    other = await make_user(session)
    await session.commit()
    sign_in(client, other)
    page = await client.get("/record", headers=HTML)
    foreign = await client.post(
        f"/bets/{bets[0].id}/cancel", data={"csrf_token": csrf_from(page.text)}, headers=HTML
    )
    assert foreign.status_code == 404


async def test_settings_choose_a_zone_a_name_and_e_mail(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    taken = await make_user(session)
    taken.display_name = "Taken Name"
    await _settled_history(session, user)
    await session.commit()
    sign_in(client, user)
    form = await client.get("/settings", headers=HTML)
    token = csrf_from(form.text)

    unknown = await client.post(
        "/settings", data={"csrf_token": token, "time_zone": "Mars/Olympus"}, headers=HTML
    )
    assert unknown.status_code == 422 and "Unknown time zone" in unknown.text
    nameless = await client.post(
        "/settings", data={"csrf_token": token, "leaderboard_opt_in": "true"}, headers=HTML
    )
    assert nameless.status_code == 422 and "Choose a display name" in nameless.text
    clash = await client.post(
        "/settings",
        data={"csrf_token": token, "display_name": "taken name", "leaderboard_opt_in": "true"},
        headers=HTML,
    )
    assert clash.status_code == 409
    assert 'value="taken name"' in clash.text  # the form keeps what was sent

    saved = await client.post(
        "/settings",
        data={
            "csrf_token": token,
            "time_zone": "Europe/London",
            "display_name": "Sixth Man",
            "leaderboard_opt_in": "true",
            "email_notifications": "true",
        },
        headers=HTML,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/settings?done=saved"
    await session.refresh(user)
    assert (user.time_zone, user.display_name, user.leaderboard_opt_in) == (
        "Europe/London",
        "Sixth Man",
        True,
    )
    assert user.email_notifications is True
    record = await client.get("/record", headers=HTML)
    assert " GMT<" in record.text  # times now read in the chosen zone
    assert "Times in Europe/London." in record.text


async def test_notifications_page_and_unread_count(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await _settled_history(session, user)
    await session.commit()
    sign_in(client, user)
    board = await client.get("/", headers=HTML)
    assert 'data-testid="unread-count" aria-label="2 unread">2<' in board.text
    page = await client.get("/notifications", headers=HTML)
    assert page.text.count('data-testid="notification"') == 2
    assert "Won: 10.00 on BOS" in page.text and "Lost: 10.00 on LAL" in page.text
    read = await client.post(
        "/notifications/read", data={"csrf_token": csrf_from(page.text)}, headers=HTML
    )
    assert read.status_code == 303
    after = await client.get("/notifications", headers=HTML)
    assert 'data-testid="unread-count"' not in after.text


async def test_a_disabled_account_is_told_so_only_with_its_password(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_user(session, username="gone", active=False)
    await session.commit()
    page = await client.get("/login", headers=HTML)
    token = csrf_from(page.text)
    wrong = await client.post(
        "/login",
        data={"csrf_token": token, "username": "gone", "password": "not-the-password"},
        headers=HTML,
    )
    assert wrong.status_code == 401 and "Incorrect username or password" in wrong.text
    right = await client.post(
        "/login", data={"csrf_token": token, "username": "gone", "password": PASSWORD}, headers=HTML
    )
    assert right.status_code == 403 and "This account is disabled" in right.text
    empty = await client.post("/login", data={"csrf_token": token}, headers=HTML)
    assert empty.status_code == 422
    assert "Enter your username and password" in empty.text and 'id="username"' in empty.text


async def test_sign_up_leaves_the_nav_while_it_is_closed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert 'data-testid="nav-signup"' in (await client.get("/", headers=HTML)).text
    await set_flag(session, SIGNUP_OPEN, False)
    await session.commit()
    assert 'data-testid="nav-signup"' not in (await client.get("/", headers=HTML)).text


async def test_audit_filter_with_swapped_days_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role="Admin")
    await session.commit()
    sign_in(client, admin)
    page = await client.get("/admin/audit?since=2026-11-30&until=2026-11-01", headers=HTML)
    assert page.status_code == 200
    assert "after the “to” day" in page.text


async def test_the_icon_and_the_league_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header

    slate = await make_slate(session, games=2)
    game = slate.games[0]
    game.status, game.home_score, game.away_score = "final", 99, 97
    player = await make_player(session, slate.teams["BOS"], first_name="Jay", last_name="Doe")
    await session.commit()

    standings = await client.get("/standings", headers=HTML)
    assert standings.status_code == 200
    assert 'href="/teams/BOS"' in standings.text
    team = await client.get("/teams/bos", headers=HTML)
    assert team.status_code == 200
    assert 'data-testid="team-record">1\u20130<' in team.text
    assert f'href="/players/{player.id}"' in team.text
    assert "W 99-97" in team.text
    assert (await client.get("/teams/XYZ", headers=HTML)).status_code == 404
    profile = await client.get(f"/players/{player.id}", headers=HTML)
    assert profile.status_code == 200 and "Jay Doe" in profile.text
    page = await client.get(f"/games/{slate.games[1].id}", headers=HTML)
    assert page.status_code == 200
    assert 'data-testid="bookmakers"' in page.text and "24 h average" in page.text
    assert (await client.get("/games/999999", headers=HTML)).status_code == 404
    yesterday = await client.get(
        f"/?date={(utcnow() - timedelta(days=1)).date()}&team=BOS", headers=HTML
    )
    assert yesterday.status_code == 200 and 'rel="next"' in yesterday.text


async def test_cancel_through_the_json_api(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:

    user = await make_user(session)
    bets = await _settled_history(session, user)
    await session.commit()
    response = await client.post(f"/v1/me/bets/{bets[2].id}/cancel", headers=user_headers(user))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["profit_cents"]) == ("refunded", 0)
    assert body["cancelled_at"] is not None
    assert response.headers["cache-control"] == "private, no-store"
    settled = await client.post(f"/v1/me/bets/{bets[0].id}/cancel", headers=user_headers(user))
    assert settled.status_code == 409
    assert settled.json()["error"]["code"] == "bet_not_open"
