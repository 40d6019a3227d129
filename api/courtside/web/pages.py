"""The betting pages: the games board (home), placing a bet, and my record.

Server-rendered, no JavaScript needed. Every form POST is CSRF-protected. A refused bet
re-renders the board with the reason next to the game (and the matching status code); a
placed bet redirects (303) back to the board, so reloading never re-submits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.deps import AuthUser
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.models import Bet, BetStatus, Game, GameStatus, OddsSnapshot, Prediction, utcnow
from courtside.odds import format_american, implied_probability, win_profit_cents
from courtside.schemas.common import PageParams
from courtside.services import betting, board, flags, league
from courtside.settings import get_app_settings
from courtside.unit_of_work import UnitOfWorkDep
from courtside.web.charts import profit_chart
from courtside.web.csrf import CsrfProtected
from courtside.web.session import PageOptionalUser, PageUser
from courtside.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter(include_in_schema=False)

UPCOMING_DAYS = 3
MAX_GAMES = 120
RECORD_PAGE_SIZE = 50
STAKE_PATTERN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def html_error_page(request: Request, status_code: int, message: str) -> Response:
    """`app.state.html_error_renderer`: errors on HTML pages use the site's layout."""
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code=status_code,
    )


# --- the board -------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    key: str
    abbreviation: str
    name: str
    odds: str | None
    implied_pct: float | None
    model_pct: float | None
    per_100: str | None
    """What a winning 100.00 stake would profit, e.g. `130.00`."""


@dataclass(frozen=True)
class GameCard:
    id: int
    tip_off: str
    status: str
    home: Side
    away: Side
    home_score: int | None
    away_score: int | None
    bookmaker: str | None
    can_bet: bool
    closed_reason: str | None
    my_bet: Bet | None
    error: str | None = None


@dataclass(frozen=True)
class Day:
    label: str
    games: list[GameCard]


def _side(key: str, game: Game, line: OddsSnapshot | None, prediction: Prediction | None) -> Side:
    team = game.home_team if key == "home" else game.away_team
    odds = None if line is None else (line.home_odds if key == "home" else line.away_odds)
    model = None
    if prediction is not None:
        p = prediction.home_win_probability
        model = round(100 * (p if key == "home" else 1 - p), 1)
    return Side(
        key=key,
        abbreviation=team.abbreviation,
        name=team.name,
        odds=None if odds is None else format_american(odds),
        implied_pct=None if odds is None else round(100 * implied_probability(odds), 1),
        model_pct=model,
        per_100=None if odds is None else betting.format_units(win_profit_cents(10_000, odds)),
    )


def _closed_reason(
    game: Game, line: OddsSnapshot | None, betting_open: bool, now: datetime
) -> str | None:
    if game.status != GameStatus.SCHEDULED.value:
        return {"live": "In progress", "final": "Final", "postponed": "Postponed"}.get(
            game.status, game.status
        )
    if game.start_time <= now:
        return "Tipped off"
    if line is None:
        return "No odds yet"
    if not betting_open:
        return "Betting is closed"
    return None


def _no_live_bet(bet: Bet | None) -> bool:
    """A refunded bet (postponed game) leaves the user free to bet on the rescheduled game."""
    return bet is None or bet.status == BetStatus.REFUNDED.value


def _tip_off(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return local.strftime("%-I:%M %p ") + (local.tzname() or "")


def _day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    return day.strftime("%A, %B %-d")


async def _board(
    session: AsyncSession,
    user: AuthUser | None,
    *,
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    settings = get_app_settings()
    zone = settings.zone
    now = utcnow()
    today = league.league_today(zone, now)
    start, _ = league.local_day_bounds(today, zone)
    _, end = league.local_day_bounds(today + timedelta(days=UPCOMING_DAYS), zone)
    games = await board.games_between(session, start, end, limit=MAX_GAMES)
    ids = [game.id for game in games]
    lines = await betting.current_lines(session, ids)
    predictions = await league.latest_predictions(session, ids)
    betting_open = await flags.is_enabled(session, flags.BETTING_OPEN)
    mine = await betting.user_bets_by_game(session, user.id, ids) if user else {}
    errors = errors or {}

    days: dict[date, list[GameCard]] = {}
    for game in games:
        line = lines.get(game.id)
        prediction = predictions.get(game.id)
        reason = _closed_reason(game, line, betting_open, now)
        card = GameCard(
            id=game.id,
            tip_off=_tip_off(game.start_time, zone),
            status=game.status,
            home=_side("home", game, line, prediction),
            away=_side("away", game, line, prediction),
            home_score=game.home_score,
            away_score=game.away_score,
            bookmaker=line.bookmaker if line else None,
            can_bet=reason is None and _no_live_bet(mine.get(game.id)),
            closed_reason=reason,
            my_bet=mine.get(game.id),
            error=errors.get(game.id),
        )
        days.setdefault(game.start_time.astimezone(zone).date(), []).append(card)
    context: dict[str, Any] = {
        "days": [Day(_day_label(day, today), cards) for day, cards in days.items()],
        "betting_open": betting_open,
        "zone_name": settings.league_timezone,
        "user": user,
    }
    if user is not None:
        context["bankroll"] = betting.format_units(await betting.bankroll_cents(session, user.id))
    return context


@router.get("/")
async def home(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    placed: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    context = await _board(session, user)
    messages = []
    if placed is not None and user is not None:
        bet = await betting.get_bet(session, user.id, placed)
        if bet is not None:
            team = bet.game.home_team if bet.side == "home" else bet.game.away_team
            messages.append(
                {
                    "kind": "success",
                    "text": f"Bet placed: {betting.format_units(bet.stake_cents)} on "
                    f"{team.full_name} at {format_american(bet.odds)}.",
                }
            )
    context["messages"] = messages
    return render(request, "home.html", context)


def parse_stake(raw: str) -> int:
    """`"25"`, `"12.5"`, `"0.01"` → cents; anything else is a clear 422."""
    text = raw.strip().replace(",", "")
    if not STAKE_PATTERN.fullmatch(text):
        raise ApiError(422, "invalid_stake", "Enter a stake like 25 or 12.50.")
    return int(Decimal(text) * 100)


@router.post("/bets")
async def place_bet_form(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    game_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    stake: Annotated[str, Form(max_length=32)],
    side: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Place a bet from the board. A double submit finds the first bet and says so."""
    try:
        bet = await betting.place_bet(
            work.session,
            user_id=user.id,
            game_id=game_id,
            side=side,
            stake_cents=parse_stake(stake),
        )
    except ApiError as exc:
        if exc.status_code == 404:
            raise
        await work.rollback()
        context = await _board(work.session, user, errors={game_id: exc.message})
        context["messages"] = [{"kind": "error", "text": exc.message}]
        return render(request, "home.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/?placed={bet.id}#game-{game_id}", status_code=303)


# --- my record -------------------------------------------------------------------------


@router.get("/record")
async def record(
    request: Request,
    session: SessionDep,
    user: PageUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    zone = get_app_settings().zone
    summary = await betting.summary(session, user.id)
    series = await betting.profit_series(session, user.id)
    bets = await betting.list_bets(
        session, user.id, PageParams(limit=RECORD_PAGE_SIZE, offset=(page - 1) * RECORD_PAGE_SIZE)
    )
    pages = max(1, -(-bets.total // RECORD_PAGE_SIZE))
    return render(
        request,
        "record.html",
        {
            "summary": summary,
            "chart": profit_chart(series, zone),
            "bets": bets.items,
            "page": page,
            "pages": pages,
            "total": bets.total,
            "units": betting.format_units,
            "american": format_american,
            "local": lambda moment: moment.astimezone(zone).strftime("%b %-d, %Y %-I:%M %p"),
            "now": datetime.now(UTC),
        },
    )
