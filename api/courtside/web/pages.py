"""The betting pages: cancelling a bet, my record (and its CSV).

The board and placing a bet are `board_pages`; the error page and the icon `site_pages`.
Server-rendered, no JavaScript needed. Every form POST is CSRF-protected and answered with a
redirect (post/redirect/get), so a reload never re-submits. The record's filter form is a GET
form whose empty fields mean "any" (`query_params`); the same filters download as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import AuthUser, actor_for_user
from courtside.cache_control import PRIVATE
from courtside.errors import status_for
from courtside.models import BetStatus, GameStatus, utcnow
from courtside.schemas.common import PageParams
from courtside.services import (
    bet_record,
    placing,
    record_lines,
    record_reads,
    reference_data,
)
from courtside.services.bet_export import bets_csv
from courtside.services.reference_data import TeamRef
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.formatting import Formatter
from courtside.web.query_params import BetStatus as StatusFilter
from courtside.web.query_params import (
    BetStatusQuery,
    FromDay,
    PageNumber,
    SortOrder,
    SortQuery,
    ToDay,
)
from courtside.web.record_rows import RecordRows
from courtside.web.record_sections import record_section
from courtside.web.session import PageUser, formatter, viewer_unit, viewer_wallet
from courtside.web.team_options import team_options
from courtside.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter(include_in_schema=False)

RECORD_PAGE_SIZE = 50
BetId = Annotated[int, Path(ge=1, le=2_147_483_647)]
TeamQuery = Annotated[str, Query(max_length=3, pattern=r"^[A-Za-z]{0,3}$")]


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
        bet = await placing.cancel_bet(
            work.session, user_id=user.id, bet_id=bet_id, actor=actor_for_user(user)
        )
    except placing.BetRefused as exc:
        await work.rollback()
        return await _record_page(
            request, work.session, user, RecordQuery(), error=exc.message, status=status_for(exc)
        )
    if back == "game":
        return RedirectResponse(f"/games/{bet.game_id}?cancelled={bet_id}#bet", status_code=303)
    if back == "board":
        return RedirectResponse(f"/?cancelled={bet_id}#game-{bet.game_id}", status_code=303)
    return RedirectResponse("/record?done=cancelled", status_code=303)


# --- my record -------------------------------------------------------------------------


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


OPENING_VIEW = RecordQuery()
"""The record as it opens: every bet, newest first, the first page."""


def _filters(query: RecordQuery, fmt: Formatter, teams: list[TeamRef]) -> bet_record.BetFilters:
    """The record's filters; dates are whole days in the viewer's zone."""

    def start_of(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=fmt.zone)

    team = next((t for t in teams if t.abbreviation == query.team), None)
    return bet_record.BetFilters(
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
    opening = query == OPENING_VIEW  # its page of bets is read with the rest (issue 23)
    reads = await record_reads.record_page_reads(  # one MGET
        session, user.id, first_page=RECORD_PAGE_SIZE if opening else None
    )
    teams = reads.teams
    balance, starting = viewer_wallet(request)
    section = record_section(  # issue 25's analytics, remembered per input (issue 23)
        reads.rows, fmt, viewer_unit(request), balance_cents=balance, starting_cents=starting
    )
    range_error = _check_range(query)
    bets = reads.first_page
    if bets is None:
        bets = await record_lines.bet_lines(
            session,
            user.id,
            PageParams(limit=RECORD_PAGE_SIZE, offset=(query.page - 1) * RECORD_PAGE_SIZE),
            _filters(query, fmt, teams),
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
            "summary": section.summary,
            "resets": reads.resets,
            "record_analytics": section,
            "bets": bets.items,
            "total": bets.total,
            "page": query.page,
            "pages": pages,
            "q": query,
            "teams": teams,
            "team_options": team_options,
            "statuses": ("open", "won", "lost", "refunded", "cancelled"),
            "sorts": {"newest": "Newest", "oldest": "Oldest", "stake": "Stake", "profit": "Profit"},
            "messages": messages,
            "record_rows": RecordRows(fmt),
            "cancellable": {
                bet.id
                for bet in bets.items
                if bet.status == BetStatus.OPEN.value
                and bet.game_status == GameStatus.SCHEDULED.value
                and bet.start_time > now
            },
        },
        status_code=status,
    )


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
    status: BetStatusQuery = None,
    team: TeamQuery = "",
    since: FromDay = None,
    until: ToDay = None,
    sort: SortQuery = "newest",
    page: PageNumber = 1,
    done: Annotated[Literal["cancelled"] | None, Query()] = None,
) -> Response:
    query = _record_query(status, team, since, until, sort, page)
    return await _record_page(request, session, user, query, done=done)


@router.get("/record.csv")
async def record_csv(
    request: Request,
    session: SessionDep,
    user: PageUser,
    status: BetStatusQuery = None,
    team: TeamQuery = "",
    since: FromDay = None,
    until: ToDay = None,
    sort: SortQuery = "newest",
) -> Response:
    """The record's filtered view as CSV, times in the viewer's zone."""
    query = _record_query(status, team, since, until, sort)
    fmt = formatter(request)
    body = await bets_csv(
        session,
        user.id,
        filters=_filters(query, fmt, await reference_data.teams(session)),
        zone=fmt.zone,
    )
    name = f"courtside-bets-{user.username}{'-filtered' if query.filtered else ''}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )
