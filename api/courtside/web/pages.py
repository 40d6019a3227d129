"""The betting pages: the games board (home), placing and cancelling a bet, my record.

Server-rendered, no JavaScript needed. Every form POST is CSRF-protected and answered
with a redirect (post/redirect/get), so a reload never re-submits; the outcome is shown
at the game card the redirect leads to. A refused bet re-renders the board with the
reason at the card, the chosen side and stake kept (and the matching status code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.deps import AuthUser, actor_for_user
from courtside.cache_control import PRIVATE
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.models import Bet, BetStatus, GameStatus, Team, utcnow
from courtside.schemas.common import PageParams
from courtside.services import bankroll, betting, board, flags, league
from courtside.services.bet_export import bets_csv
from courtside.settings import get_app_settings
from courtside.unit_of_work import UnitOfWorkDep
from courtside.web.cards import FormState, GameCard, cards_for
from courtside.web.charts import profit_chart
from courtside.web.csrf import CsrfProtected
from courtside.web.formatting import Formatter
from courtside.web.session import PageOptionalUser, PageUser, formatter
from courtside.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter(include_in_schema=False)

UPCOMING_DAYS = 3
MAX_GAMES = 120
RECORD_PAGE_SIZE = 50
STAKE_PATTERN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
GameId = Annotated[int, Path(ge=1, le=2_147_483_647)]
BetId = Annotated[int, Path(ge=1, le=2_147_483_647)]


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
class Day:
    label: str
    games: list[GameCard]


def _day_label(day: date, today: date, fmt: Formatter) -> str:
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return fmt.day(day)


async def _board(
    request: Request,
    session: AsyncSession,
    user: AuthUser | None,
    *,
    day: date | None,
    team: str,
    form: FormState | None = None,
    notice: tuple[int, str] | None = None,
) -> dict[str, Any]:
    settings = get_app_settings()
    zone = settings.zone
    today = league.league_today(zone, utcnow())
    first = day or today
    last = first + timedelta(days=0 if day else UPCOMING_DAYS)
    start, _ = league.local_day_bounds(first, zone)
    _, end = league.local_day_bounds(last, zone)
    all_teams = await board.teams(session)
    chosen = next((t for t in all_teams if t.abbreviation == team), None)
    games = await board.games_between(
        session, start, end, limit=MAX_GAMES, team_id=chosen.id if chosen else None
    )
    cards = await cards_for(session, games, user, form=form, notice=notice)
    fmt = formatter(request)
    days: dict[date, list[GameCard]] = {}
    for card in cards:
        days.setdefault(card.game.start_time.astimezone(zone).date(), []).append(card)
    context: dict[str, Any] = {
        "days": [Day(_day_label(d, today, fmt), day_cards) for d, day_cards in days.items()],
        "betting_open": await flags.is_enabled(session, flags.BETTING_OPEN),
        "league_zone": settings.league_timezone,
        "user": user,
        "teams": all_teams,
        "team": chosen.abbreviation if chosen else "",
        "day": first,
        "single_day": day is not None,
        "today": today,
        "nav": _day_links(first, chosen.abbreviation if chosen else ""),
    }
    if user is not None:
        context["bankroll"] = betting.format_units(await betting.bankroll_cents(session, user.id))
    return context


def _day_links(day: date, team: str) -> dict[str, str]:
    def link(target: date) -> str:
        query = {"date": target.isoformat(), **({"team": team} if team else {})}
        return "/?" + urlencode(query)

    return {"previous": link(day - timedelta(days=1)), "next": link(day + timedelta(days=1))}


def _placed_message(bet: Bet) -> str:
    team = bet.game.home_team if bet.side == "home" else bet.game.away_team
    return (
        f"Bet placed: {betting.format_units(bet.stake_cents)} on {team.full_name} at "
        f"{Formatter.american(bet.odds)} ({bet.bookmaker}). Bankroll updated."
    )


DayQuery = Annotated[date | None, Query(alias="date")]
TeamQuery = Annotated[str, Query(max_length=3, pattern=r"^[A-Za-z]{0,3}$")]


@router.get("/")
async def home(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    day: DayQuery = None,
    team: TeamQuery = "",
    placed: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    cancelled: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    notice = None
    shown = placed or cancelled
    if shown is not None and user is not None:
        bet = await betting.get_bet(session, user.id, shown)
        if bet is not None:
            text = _placed_message(bet) if placed else "Bet cancelled: the stake is back."
            notice = (bet.game_id, text)
    context = await _board(request, session, user, day=day, team=team.upper(), notice=notice)
    return render(request, "home.html", context)


def parse_stake(raw: str) -> int:
    """`"25"`, `"12.5"`, `"0.01"` → cents; anything else is a clear 422."""
    text = raw.strip().replace(",", "")
    if not STAKE_PATTERN.fullmatch(text):
        raise ApiError(422, "invalid_stake", "Enter a stake like 25 or 12.50.")
    return int(Decimal(text) * 100)


def _board_target(game_id: int, back: str) -> str:
    """Where a bet form returns to: the board or a game page (never another site)."""
    if back == "game":
        return f"/games/{game_id}"
    return "/"


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
        form = FormState(game_id, exc.message, side if side in ("home", "away") else "", stake)
        if back == "game":
            from courtside.web.league_pages import game_page_context

            context = await game_page_context(request, work.session, user, game_id, form=form)
            return render(request, "game.html", context, status_code=exc.status_code)
        day = await _board_day(work.session, game_id)
        context = await _board(request, work.session, user, day=day, team="", form=form)
        return render(request, "home.html", context, status_code=exc.status_code)
    if back == "game":
        return RedirectResponse(f"/games/{game_id}?placed={bet.id}#bet", status_code=303)
    query = {"placed": str(bet.id)}
    day = await _board_day(work.session, game_id)
    if day is not None:
        query["date"] = day.isoformat()
    return RedirectResponse(f"/?{urlencode(query)}#game-{game_id}", status_code=303)


async def _board_day(session: AsyncSession, game_id: int) -> date | None:
    """The board day to show a game on: None when the default board (today and the next
    days) has it, else its own day."""
    zone = get_app_settings().zone
    game = await board.game(session, game_id)
    day = game.start_time.astimezone(zone).date()
    today = league.league_today(zone, utcnow())
    return None if today <= day <= today + timedelta(days=UPCOMING_DAYS) else day


@router.post("/bets/{bet_id}/cancel")
async def cancel_bet_form(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    bet_id: BetId,
    back: Annotated[Literal["record", "game", "board"], Form()] = "record",
) -> Response:
    """Cancel an open bet before tip-off; the page it came from says so."""
    try:
        bet = await betting.cancel_bet(
            work.session, user_id=user.id, bet_id=bet_id, actor=actor_for_user(user)
        )
    except ApiError as exc:
        if exc.status_code == 404:
            raise
        await work.rollback()
        return await _record_page(
            request, work.session, user, RecordQuery(), error=exc.message, status=exc.status_code
        )
    if back == "game":
        return RedirectResponse(f"/games/{bet.game_id}?cancelled={bet_id}#bet", status_code=303)
    if back == "board":
        return RedirectResponse(f"/?cancelled={bet_id}#game-{bet.game_id}", status_code=303)
    return RedirectResponse("/record?done=cancelled", status_code=303)


# --- my record -------------------------------------------------------------------------

StatusFilter = Literal["open", "won", "lost", "refunded", "cancelled"]
SortOrder = Literal["newest", "oldest", "stake", "profit"]


@dataclass(frozen=True)
class RecordQuery:
    """The record's filters and page, as the query string carries them."""

    status: StatusFilter | None = None
    team: str = ""
    since: date | None = None
    until: date | None = None
    sort: SortOrder = "newest"
    page: int = 1

    def query(self, **changes: Any) -> str:
        values = {
            "status": self.status or "",
            "team": self.team,
            "from": self.since.isoformat() if self.since else "",
            "to": self.until.isoformat() if self.until else "",
            "sort": "" if self.sort == "newest" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.team or self.since or self.until)


def _filters(query: RecordQuery, fmt: Formatter, teams: list[Team]) -> betting.BetFilters:
    """The record's filters; dates are whole days in the viewer's zone."""

    def start_of(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=fmt.zone)

    team = next((t for t in teams if t.abbreviation == query.team), None)
    return betting.BetFilters(
        status=query.status,
        team_id=team.id if team else None,
        placed_from=start_of(query.since) if query.since else None,
        placed_to=start_of(query.until + timedelta(days=1)) if query.until else None,
        sort=query.sort,
    )


def _check_range(query: RecordQuery) -> str | None:
    if query.since and query.until and query.since > query.until:
        return "The “from” day is after the “to” day: no bet can match. Swap them."
    return None


DONE = {"cancelled": "Bet cancelled: the stake is back in your bankroll."}


async def _record_page(
    request: Request,
    session: AsyncSession,
    user: AuthUser,
    query: RecordQuery,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    fmt = formatter(request)
    teams = await board.teams(session)
    summary = await betting.summary(session, user.id)
    resets = await bankroll.resets(session, user.id)
    series = await betting.profit_series(session, user.id)
    range_error = _check_range(query)
    bets = await betting.list_bets(
        session,
        user.id,
        PageParams(limit=RECORD_PAGE_SIZE, offset=(query.page - 1) * RECORD_PAGE_SIZE),
        filters=_filters(query, fmt, teams),
    )
    pages = max(1, -(-bets.total // RECORD_PAGE_SIZE))
    messages = []
    if done in DONE:
        messages.append({"kind": "success", "text": DONE[done]})
    for text in (error, range_error):
        if text:
            messages.append({"kind": "error", "text": text})
    now = utcnow()
    return render(
        request,
        "record.html",
        {
            "summary": summary,
            "resets": resets,
            "chart": profit_chart(series, fmt.zone),
            "bets": bets.items,
            "total": bets.total,
            "page": query.page,
            "pages": pages,
            "q": query,
            "teams": teams,
            "statuses": ("open", "won", "lost", "refunded", "cancelled"),
            "sorts": {"newest": "Newest", "oldest": "Oldest", "stake": "Stake", "profit": "Profit"},
            "messages": messages,
            "cancellable": {
                bet.id
                for bet in bets.items
                if bet.status == BetStatus.OPEN.value
                and bet.game.status == GameStatus.SCHEDULED.value
                and bet.game.start_time > now
            },
        },
        status_code=status,
    )


FromQuery = Annotated[date | None, Query(alias="from")]
ToQuery = Annotated[date | None, Query(alias="to")]


def _record_query(
    status: StatusFilter | None,
    team: str,
    since: date | None,
    until: date | None,
    sort: SortOrder,
    page: int = 1,
) -> RecordQuery:
    return RecordQuery(status, team.upper(), since, until, sort, page)


@router.get("/record")
async def record(
    request: Request,
    session: SessionDep,
    user: PageUser,
    status: StatusFilter | None = None,
    team: TeamQuery = "",
    since: FromQuery = None,
    until: ToQuery = None,
    sort: SortOrder = "newest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[Literal["cancelled"] | None, Query()] = None,
) -> Response:
    query = _record_query(status, team, since, until, sort, page)
    return await _record_page(request, session, user, query, done=done)


@router.get("/record.csv")
async def record_csv(
    request: Request,
    session: SessionDep,
    user: PageUser,
    status: StatusFilter | None = None,
    team: TeamQuery = "",
    since: FromQuery = None,
    until: ToQuery = None,
    sort: SortOrder = "newest",
) -> Response:
    """The record's filtered view as CSV, times in the viewer's zone."""
    query = _record_query(status, team, since, until, sort)
    fmt = formatter(request)
    body = await bets_csv(
        session, user.id, filters=_filters(query, fmt, await board.teams(session)), zone=fmt.zone
    )
    name = f"courtside-bets-{user.username}{'-filtered' if query.filtered else ''}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- the icon --------------------------------------------------------------------------


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site icon (browsers ask for it at this path whatever the page says)."""
    from courtside.web.static_files import favicon_bytes

    return Response(
        favicon_bytes(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
