"""The third round's pages over HTTP (issue 22): filter forms with empty fields, the
viewer's days, refused bets answered with a redirect, games in progress (live state, score,
the closing line, open games first), the payout of the stake typed and "to win"."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Game, utcnow
from courtside.odds import win_profit_cents
from courtside.services import placing, settlement
from courtside.services.flags import BETTING_OPEN
from courtside.services.league_calendar import league_today
from courtside.settings import get_app_settings
from courtside.web.bet_flash import COOKIE
from tests.api.auth.helpers import make_user
from tests.api.betting.factories import HTML, csrf_from, make_slate, refusal_page, set_flag, sign_in
from tests.helpers import make_game, make_odds, make_prediction, make_teams

BERLIN = ZoneInfo("Europe/Berlin")


def _days(page: str) -> list[tuple[str, list[int]]]:
    """(data-day, game ids in document order) per day heading of the board."""
    parts = re.split(r'<h[23] class="day" data-day="([0-9-]+)"', page)
    return [
        (parts[i], [int(g) for g in re.findall(r'id="game-(\d+)"', parts[i + 1])])
        for i in range(1, len(parts), 2)
    ]


def _ids(page: str) -> list[int]:
    return [int(g) for g in re.findall(r'id="game-(\d+)"', page)]


# --- 1. empty filter fields mean "any" ---------------------------------------------------


async def test_empty_filter_fields_mean_any(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    slate = await make_slate(session, games=2)
    for game in slate.games:
        await placing.place_bet(
            session, user_id=user.id, game_id=game.id, side="home", stake_cents=1_000
        )
    first = slate.games[0]
    first.status, first.home_score, first.away_score = "final", 80, 90
    await session.flush()
    await settlement.settle_games(session, [first.id])
    await session.commit()
    sign_in(client, user)

    lost = await client.get("/record?status=lost&team=&from=&to=&sort=", headers=HTML)
    assert lost.status_code == 200, lost.text
    assert re.findall(r'status status-(\w+)"', lost.text) == ["lost"]
    everything = await client.get("/record?status=&team=&from=&to=&page=", headers=HTML)
    assert everything.status_code == 200
    assert sorted(re.findall(r'status status-(\w+)"', everything.text)) == ["lost", "open"]
    # The form itself downloads its filters as CSV (the button submits to /record.csv).
    assert 'formaction="/record.csv"' in lost.text
    csv = await client.get("/record.csv?status=lost&team=&from=&to=&sort=newest", headers=HTML)
    assert csv.status_code == 200
    assert csv.text.count("\r\n") == 2  # the header and the one lost bet
    assert "-filtered.csv" in csv.headers["content-disposition"]
    # A value that is there and wrong is still refused.
    assert (await client.get("/record?status=bogus", headers=HTML)).status_code == 422
    assert (await client.get("/record?from=yesterday", headers=HTML)).status_code == 422


async def test_admin_filters_with_empty_fields(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role="Admin")
    await make_user(session, username="quiet-one")
    await session.commit()
    sign_in(client, admin)
    users = await client.get("/admin/users?q=&role=&status=&page=", headers=HTML)
    assert users.status_code == 200, users.text
    assert "quiet-one" in users.text
    consumers = await client.get("/admin/users?q=&role=Consumer&status=", headers=HTML)
    assert consumers.status_code == 200
    assert "quiet-one" in consumers.text and f">{admin.username}<" not in consumers.text
    audit = await client.get(
        "/admin/audit?action=&actor_type=&actor=&target=&since=&until=", headers=HTML
    )
    assert audit.status_code == 200, audit.text
    assert (await client.get("/admin/audit?actor_type=robot", headers=HTML)).status_code == 422


# --- 9. days and zones -------------------------------------------------------------------


async def _evening_game(session: AsyncSession) -> Game:
    """A game tomorrow (league day) at 7:00 PM in New York: 1:00 AM the day after in Berlin."""
    league = get_app_settings().zone
    teams = await make_teams(session)
    tomorrow = league_today(league, utcnow()) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(19, 0), tzinfo=league)
    game = await make_game(session, teams["BOS"], teams["NYK"], start)
    await make_odds(session, game, -150, 130, utcnow() - timedelta(hours=1))
    return game


async def test_days_are_the_viewers_when_they_chose_a_zone(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    game = await _evening_game(session)
    berliner = await make_user(session)
    berliner.time_zone = "Europe/Berlin"
    await session.commit()
    league_day = game.start_time.astimezone(get_app_settings().zone).date()
    berlin_day = game.start_time.astimezone(BERLIN).date()
    assert berlin_day == league_day + timedelta(days=1)

    anonymous = (await client.get("/", headers=HTML)).text
    assert (league_day.isoformat(), [game.id]) in _days(anonymous)
    assert "Days are the league's (America/New_York)" in anonymous

    sign_in(client, berliner)
    own = (await client.get("/", headers=HTML)).text
    assert (berlin_day.isoformat(), [game.id]) in _days(own)
    assert "Days are yours (Europe/Berlin" in own
    today = datetime.now(BERLIN).date()
    labels = re.findall(r'data-day="([0-9-]+)" data-testid="day">([^<]+)<', own)
    for day, label in labels:
        offset = (datetime.fromisoformat(day).date() - today).days
        assert label == {0: "Today", 1: "Tomorrow"}.get(offset, label), (day, label)
    # One chosen day is the viewer's day too.
    single = (await client.get(f"/?date={berlin_day.isoformat()}", headers=HTML)).text
    assert game.id in _ids(single)
    assert game.id not in _ids((await client.get(f"/?date={league_day}", headers=HTML)).text)


async def test_an_empty_day_with_a_team_lists_the_teams_next_games(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    game = await _evening_game(session)
    await session.commit()
    page = await client.get("/?date=&team=BOS", headers=HTML)
    assert page.status_code == 200, page.text
    assert _ids(page.text) == [game.id]
    assert "No games on this day" not in page.text
    assert 'name="date" value=""' in page.text  # the default board leaves the day empty
    assert _ids((await client.get("/?date=&team=LAL", headers=HTML)).text) == []


async def test_a_code_that_is_no_teams_shows_the_whole_board(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The board's games are filtered by the team's abbreviation in their statement (issue
    23: the team list is read after the games, with their markets); a code that is no team's
    is ignored, as when the games waited for the team list: every game, no team chosen."""
    game = await _evening_game(session)
    await session.commit()
    whole = (await client.get("/", headers=HTML)).text
    assert _ids(whole) == [game.id]
    for code in ("ZZ", "zzz", "Q"):
        page = await client.get(f"/?team={code}", headers=HTML)
        assert page.status_code == 200, page.text
        assert _ids(page.text) == [game.id], code
        assert "selected" not in page.text.split('id="board-team"', 1)[1].split("</select>")[0]
        assert 'href="/" class="small">Today</a>' not in page.text  # no filter to clear
    chosen = (await client.get("/?team=bos", headers=HTML)).text
    assert _ids(chosen) == [game.id] and '<option value="BOS" selected>' in chosen


async def test_get_bets_shows_the_board(client: httpx.AsyncClient) -> None:
    response = await client.get("/bets", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- refused bets: post/redirect/get -----------------------------------------------------


async def test_a_refused_bet_is_shown_once_at_its_card(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await make_slate(session, starts_in=timedelta(hours=3))).games[0]
    await session.commit()
    sign_in(client, user)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    form = {"csrf_token": token, "game_id": str(game.id), "side": "away", "stake": "5000"}

    refused = await client.post("/bets", data=form, headers=HTML)
    assert refused.status_code == 303
    assert refused.headers["location"].endswith(f"#game-{game.id}")
    assert COOKIE in refused.headers["set-cookie"]
    assert "HttpOnly" in refused.headers["set-cookie"]
    page = await refusal_page(client, refused)
    card = page[page.index(f'id="game-{game.id}"') :]
    assert "more than your available bankroll" in card
    assert 'value="away" required checked' in card and 'value="5000"' in card
    # The payout hint is the typed stake's: 5,000.00 at +130 wins 6,500.00.
    assert "Stake <span data-payout-stake" in card
    assert ">5,000.00</span>" in card and ">6,500.00</span>" in card
    # Shown once: the page deleted the cookie, a reload shows the board without it.
    assert 'data-testid="bet-error"' not in (await client.get("/", headers=HTML)).text

    from_game = await client.post("/bets", data={**form, "back": "game"}, headers=HTML)
    assert from_game.headers["location"] == f"/games/{game.id}#bet"
    assert "more than your available bankroll" in await refusal_page(client, from_game)


async def test_a_forged_or_foreign_refusal_cookie_shows_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user, other = await make_user(session), await make_user(session)
    game = (await make_slate(session, starts_in=timedelta(hours=3))).games[0]
    await session.commit()
    sign_in(client, other)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    form = {"csrf_token": token, "game_id": str(game.id), "side": "away", "stake": "5000"}
    await client.post("/bets", data=form, headers=HTML)
    foreign = client.cookies.get(COOKIE)
    assert foreign
    sign_in(client, user)  # another user, same browser: the cookie is not theirs
    assert 'data-testid="bet-error"' not in (await client.get("/", headers=HTML)).text
    payload, _, signature = foreign.partition(".")
    client.cookies.set(COOKIE, f"{payload}.{signature[::-1]}")
    assert 'data-testid="bet-error"' not in (await client.get("/", headers=HTML)).text


# --- 3. games in progress ------------------------------------------------------------------


async def _day_with_a_live_game(session: AsyncSession) -> tuple[Game, Game]:
    """Two games on one day three days from now: the earlier one reported live (Q3 5:12,
    55-60) with a quote before and one after tip-off, the later one still open."""
    league = get_app_settings().zone
    teams = await make_teams(session)
    day = league_today(league, utcnow()) + timedelta(days=3)
    early = datetime.combine(day, time(19, 0), tzinfo=league)
    live = await make_game(
        session,
        teams["BOS"],
        teams["NYK"],
        early,
        status="live",
        home_score=60,
        away_score=55,
        period=3,
        clock_seconds=312,
    )
    await make_odds(session, live, -150, 130, early - timedelta(hours=2))
    await make_odds(session, live, -400, 320, early + timedelta(minutes=30), "inplay")
    await make_prediction(session, live, 0.62)
    later = await make_game(session, teams["LAL"], teams["DEN"], early + timedelta(hours=3))
    await make_odds(session, later, -120, 100, utcnow() - timedelta(hours=1))
    return live, later


async def test_a_live_game_shows_its_state_score_and_closing_line(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    live, later = await _day_with_a_live_game(session)
    await session.commit()
    day = live.start_time.astimezone(get_app_settings().zone).date()
    board = (await client.get(f"/?date={day}", headers=HTML)).text
    assert _ids(board) == [later.id, live.id]  # the open game first
    card = board[board.index(f'id="game-{live.id}"') :]
    assert "Live · Q3 5:12" in card
    assert '<span class="score" data-testid="score">55</span>' in card
    assert '<span class="score" data-testid="score">60</span>' in card
    assert "-150" in card and "+130" in card and "-400" not in card  # the closing line
    assert "62.0%" in card  # the prediction stays

    page = (await client.get(f"/games/{live.id}", headers=HTML)).text
    assert "Every bookmaker's last line before tip-off" in page
    assert "inplay" not in page.split('data-testid="bookmakers"')[1].split("</table>")[0]
    assert 'data-testid="game-score" class="tnum">55\u201360<' in page
    assert 'data-testid="live-state">Q3 5:12<' in page
    assert re.search(r'data-testid="model" class="tnum">62\.0%<', page)
    assert "No odds for this game yet" not in page


async def test_the_started_section_follows_the_open_games_on_the_default_board(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    teams = await make_teams(session)
    now = utcnow()
    started = await make_game(
        session, teams["BOS"], teams["NYK"], now - timedelta(minutes=20), status="live"
    )
    upcoming = await make_game(session, teams["LAL"], teams["DEN"], now + timedelta(days=1))
    await session.commit()
    board = (await client.get("/", headers=HTML)).text
    assert _ids(board) == [upcoming.id, started.id]
    assert 'data-testid="jump-started"' in board and 'id="started"' in board
    assert board.index('id="started"') > board.index(f'id="game-{upcoming.id}"')


async def test_the_default_board_keeps_the_day_befores_games_still_in_progress(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Past midnight, a game that tipped off late the evening before is still live: the
    default board (today on) keeps it in the started section. The day before's finished
    games are off it; `?date=` that day still shows all of them."""
    zone = get_app_settings().zone
    today = league_today(zone)
    yesterday = today - timedelta(days=1)

    def at(day, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    teams = await make_teams(session)
    late = await make_game(
        session, teams["BOS"], teams["NYK"], at(yesterday, 23, 30), status="live"
    )
    unreported = await make_game(session, teams["LAL"], teams["DEN"], at(yesterday, 22))
    finished = await make_game(
        session,
        teams["NYK"],
        teams["BOS"],
        at(yesterday, 19),
        status="final",
        home_score=101,
        away_score=99,
    )
    upcoming = await make_game(
        session, teams["DEN"], teams["LAL"], at(today + timedelta(days=1), 19)
    )
    await session.commit()
    board = (await client.get("/", headers=HTML)).text
    assert _ids(board) == [upcoming.id, unreported.id, late.id]
    assert board.index('id="started"') > board.index(f'id="game-{upcoming.id}"')
    that_day = (await client.get(f"/?date={yesterday.isoformat()}", headers=HTML)).text
    assert sorted(_ids(that_day)) == sorted([late.id, unreported.id, finished.id])


# --- 10. the payout of the stake, and "to win" ---------------------------------------------


async def test_the_placed_notice_and_the_record_say_what_the_bet_wins(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await make_slate(session, starts_in=timedelta(hours=3))).games[0]
    await session.commit()
    sign_in(client, user)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    form = {"csrf_token": token, "game_id": str(game.id), "side": "home", "stake": " 25 "}
    placed = await client.post("/bets", data=form, headers=HTML)
    assert placed.status_code == 303, placed.text
    board = (await client.get(placed.headers["location"].split("#")[0], headers=HTML)).text
    win = win_profit_cents(2_500, -150)  # 16.66
    assert win == 1_666
    assert "Bet placed: 25.00 on Boston Celtics at -150 (book)." in board
    assert "To win 16.66, total return 41.66." in board
    assert 'data-testid="to-win">+16.66<' in board  # on the card's "Your bet"
    record = (await client.get("/record", headers=HTML)).text
    assert 'data-testid="to-win">+16.66<' in record


async def test_the_stake_input_leaves_the_rules_to_the_server(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    await make_slate(session, starts_in=timedelta(hours=3))
    await session.commit()
    sign_in(client, user)
    board = (await client.get("/", headers=HTML)).text
    stake_input = re.search(r'<input id="stake-\d+"[^>]*>', board)
    assert stake_input is not None
    assert "pattern=" not in stake_input.group(0)
    assert "Units, at most two decimals" in board  # the rule next to the field
    client.cookies.clear()  # signed out: the sign-up form
    signup = (await client.get("/signup", headers=HTML)).text
    assert "pattern=" not in signup and "Capitals become lower-case" in signup


async def test_a_refusal_when_betting_is_closed_redirects_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bettor = await make_user(session)
    game = (await make_slate(session, starts_in=timedelta(hours=3))).games[0]
    await session.commit()
    sign_in(client, bettor)
    token = csrf_from((await client.get("/", headers=HTML)).text)
    await set_flag(session, BETTING_OPEN, False)
    await session.commit()
    form = {"csrf_token": token, "game_id": str(game.id), "side": "home", "stake": "12,50"}
    page = await refusal_page(client, await client.post("/bets", data=form, headers=HTML))
    assert "Betting is closed at the moment." in page


async def test_a_flag_name_with_capitals_is_made_lower_case(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from courtside.services import flags

    admin = await make_user(session, role="Admin")
    await session.commit()
    sign_in(client, admin)
    page = (await client.get("/admin/flags", headers=HTML)).text
    name_input = re.search(r'<input id="flag-name"[^>]*>', page)
    assert name_input is not None and "pattern=" not in name_input.group(0)
    assert "capitals are made lower-case" in page
    created = await client.post(
        "/admin/flags", data={"csrf_token": csrf_from(page), "name": " Dark_Mode "}, headers=HTML
    )
    assert created.status_code == 303, created.text
    assert await flags.is_enabled(session, "dark_mode") is False
    assert "dark_mode" in (await client.get("/admin/flags", headers=HTML)).text
