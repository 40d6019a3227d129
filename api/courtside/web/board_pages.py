"""The games board (home) and placing a bet from it or from a game page.

Server-rendered, no JavaScript needed (`static/bet_form.js` only adds the payout of the
stake being typed). Placing a bet is CSRF-protected and always answered with a redirect
(post/redirect/get), so a reload never re-submits: a placed bet to its card with the
outcome, a refused one to the same card with the reason and the form as it was sent
(`bet_flash`). Days are the viewer's (`board_days`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import AuthUser
from courtside.models import Bet, GameStatus, utcnow
from courtside.odds import format_units
from courtside.services import (
    bet_record,
    board,
    closing_line,
    flags,
    league_calendar,
    page_slates,
    placing,
    reference_data,
)
from courtside.settings import get_app_settings
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web import bet_flash
from courtside.web.board_days import group_by_day, started_heading
from courtside.web.card_html import CardHtml
from courtside.web.cards import FormState, cards_for
from courtside.web.formatting import Formatter
from courtside.web.query_params import BoardDay
from courtside.web.session import (
    PageOptionalUser,
    PageUser,
    formatter,
    viewer_wallet,
    viewer_zone,
)
from courtside.web.stakes import STAKE_RULE, StakeRefused, parse_stake, payout
from courtside.web.team_options import team_options
from courtside.web.templating import render

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.ext.asyncio import AsyncSession

    from courtside.services.game_rows import GameRow

router = APIRouter(include_in_schema=False)

UPCOMING_DAYS = 3
MAX_GAMES = 120
BetId = Annotated[int, Query(ge=1, le=2_147_483_647)]
TeamQuery = Annotated[str, Query(max_length=3, pattern=r"^[A-Za-z]{0,3}$")]


async def board_context(
    request: Request,
    session: AsyncSession,
    user: AuthUser | None,
    *,
    day: date | None,
    team: str,
    form: FormState | None = None,
    notice: tuple[int, str] | None = None,
) -> dict[str, Any]:
    fmt = formatter(request)
    zone = fmt.zone
    now = utcnow()
    today = league_calendar.league_today(zone, now)
    first = day or today
    last = first + timedelta(days=0 if day else UPCOMING_DAYS)
    # The default board also reads the day before, for its games still in progress.
    since = first if day else today - timedelta(days=1)
    start, _ = league_calendar.local_day_bounds(since, zone)
    _, end = league_calendar.local_day_bounds(last, zone)
    if team and team not in {t.abbreviation for t in await reference_data.teams(session)}:
        team = ""  # not a team: the whole board (and no cache entry keyed by a made-up code)
    reads = await page_slates.board_slate_reads(  # one round trip: games, teams, flags (issue 23)
        session, start, end, limit=MAX_GAMES, team=team or None, user_id=user.id if user else None
    )
    slate, all_teams, all_flags = reads.slate, reads.teams, reads.flags
    games = slate.games if day else carried_over(slate.games, today, zone, now)
    markets = await closing_line.shown_markets(session, games, now)  # a second: their markets
    chosen = next((t for t in all_teams if t.abbreviation == team), None)
    betting_open = all_flags.get(flags.BETTING_OPEN, False)
    cards = cards_for(
        games,
        predictions=slate.predictions,
        bets=slate.bets,
        markets=markets,
        betting_open=betting_open,
        form=form,
        notice=notice,
        now=now,
    )
    days = group_by_day(cards, zone, today, fmt, now)
    context: dict[str, Any] = {
        "open_days": [d for d in days if d.upcoming],
        "started_days": [d for d in days if d.started],
        "started_count": sum(len(d.started) for d in days),
        "started_heading": started_heading(days),
        "betting_open": betting_open,
        "days_zone": fmt.zone_name,
        "own_days": viewer_zone(request) is not None,
        "user": user,
        "teams": all_teams,
        "team_options": team_options,
        "team": chosen.abbreviation if chosen else "",
        "day": first,
        "single_day": day is not None,
        "today": today,
        "nav": _day_links(first, chosen.abbreviation if chosen else ""),
        "upcoming_days": UPCOMING_DAYS,
    }
    bankroll = None if user is None else format_units(viewer_wallet(request)[0])
    if bankroll is not None:
        context["bankroll"] = bankroll
    context["card_html"] = CardHtml(fmt, user is not None, bankroll, STAKE_RULE, back="board")
    return context


def carried_over(games: list[GameRow], today: date, zone: ZoneInfo, now: datetime) -> list[GameRow]:
    """The default board's games: today's and later, and the day before's still in progress.

    A game that tipped off at 22:30 is live past midnight: the board must not drop it then
    (the day before's finished and postponed games are off the board, as before)."""
    return [
        game
        for game in games
        if game.start_time.astimezone(zone).date() >= today
        or game.status == GameStatus.LIVE.value
        or (game.status == GameStatus.SCHEDULED.value and game.start_time <= now)
    ]


def _day_links(day: date, team: str) -> dict[str, str]:
    def link(target: date) -> str:
        query = {"date": target.isoformat(), **({"team": team} if team else {})}
        return "/?" + urlencode(query)

    return {"previous": link(day - timedelta(days=1)), "next": link(day + timedelta(days=1))}


def placed_message(bet: Bet, *, team_name: bool = True) -> str:
    """`Bet placed: 25.00 on Boston Celtics at -150 (book). To win 16.66, total return 41.66.`"""
    side = bet.game.home_team if bet.side == "home" else bet.game.away_team
    win = payout(bet.stake_cents, bet.odds)
    returns = (
        f" To win {Formatter.units(win.profit_cents)}, total return "
        f"{Formatter.units(win.return_cents)}."
        if win
        else ""
    )
    on = f" on {side.full_name}" if team_name else ""
    return (
        f"Bet placed: {Formatter.units(bet.stake_cents)}{on} at "
        f"{Formatter.american(bet.odds)} ({bet.bookmaker}).{returns}"
    )


@router.get("/")
async def home(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    day: BoardDay = None,
    team: TeamQuery = "",
    placed: BetId | None = None,
    cancelled: BetId | None = None,
) -> Response:
    notice = None
    shown = placed or cancelled
    if shown is not None and user is not None:
        bet = await bet_record.get_bet(session, user.id, shown)
        if bet is not None:
            text = placed_message(bet) if placed else "Bet cancelled: the stake is back."
            if placed:
                text += " Bankroll updated."
            notice = (bet.game_id, text)
    refused = bet_flash.take(request, user.id if user else None)
    context = await board_context(
        request, session, user, day=day, team=team.upper(), form=refused, notice=notice
    )
    response = render(request, "home.html", context)
    bet_flash.forget(response, request)
    return response


@router.get("/bets")
async def bets_address() -> Response:
    """`/bets` is where bet forms post to; opening it (a bookmark, the history) shows the board."""
    return RedirectResponse("/", status_code=303)


@router.post("/bets")
async def place_bet_form(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    game_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    stake: Annotated[str, Form(max_length=32)] = "",
    side: Annotated[str, Form(max_length=8)] = "",
    back: Annotated[Literal["board", "game"], Form()] = "board",
) -> Response:
    """Place a bet from the board or a game page. A double submit finds the first bet."""
    zone = formatter(request).zone
    try:
        bet = await placing.place_bet(
            work.session,
            user_id=user.id,
            game_id=game_id,
            side=side,
            stake_cents=parse_stake(stake),
        )
    except (StakeRefused, placing.BetRefused, placing.BetInvalid) as exc:
        await work.rollback()
        form = FormState(game_id, exc.message, side if side in ("home", "away") else "", stake)
        response = RedirectResponse(
            await _target(work.session, game_id, back, zone), status_code=303
        )
        bet_flash.remember(response, request, user.id, form)
        return response
    if back == "game":
        return RedirectResponse(f"/games/{game_id}?placed={bet.id}#bet", status_code=303)
    query = {"placed": str(bet.id)}
    day = await board_day(work.session, game_id, zone)
    if day is not None:
        query["date"] = day.isoformat()
    return RedirectResponse(f"/?{urlencode(query)}#game-{game_id}", status_code=303)


async def _target(session: AsyncSession, game_id: int, back: str, zone: ZoneInfo) -> str:
    """Where a refused bet's form is shown again: its game page, or its card on the board."""
    if back == "game":
        return f"/games/{game_id}#bet"
    day = await board_day(session, game_id, zone)
    return ("/" if day is None else f"/?date={day.isoformat()}") + f"#game-{game_id}"


async def board_day(
    session: AsyncSession, game_id: int, zone: ZoneInfo | None = None
) -> date | None:
    """The board day to show a game on (in the viewer's `zone`): None when the default board
    (today and the next days) has it, else its own day."""
    zone = zone or get_app_settings().zone
    game = await board.game(session, game_id)
    day = game.start_time.astimezone(zone).date()
    today = league_calendar.league_today(zone, utcnow())
    return None if today <= day <= today + timedelta(days=UPCOMING_DAYS) else day
