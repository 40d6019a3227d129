"""The viewer's own pages and the community's: the leaderboard, notifications, settings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import actor_for_user
from courtside.errors import REFUSALS, status_of
from courtside.services import leaderboard, notifications, preferences
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.session import PageOptionalUser, PageUser
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/leaderboard")
async def leaderboard_page(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    period: Annotated[leaderboard.Period, Query()] = "30d",
    order: Annotated[leaderboard.Order, Query(alias="by")] = "profit",
) -> Response:
    board = await leaderboard.leaderboard(session, period=period, order=order)
    mine = await leaderboard.standing(session, board, user.id) if user else None
    return render(
        request,
        "leaderboard.html",
        {"board": board, "mine": mine, "user": user, "periods": leaderboard.PERIODS},
    )


@router.get("/notifications")
async def notifications_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The newest notifications, unread ones marked (reading them marks nothing: a GET
    changes no state; "Mark all as read" does)."""
    rows = await notifications.recent(session, user.id)
    return render(request, "notifications.html", {"notifications": rows})


@router.post("/notifications/read")
async def mark_notifications_read(
    work: UnitOfWorkDep, user: PageUser, _csrf: CsrfProtected
) -> Response:
    await notifications.mark_all_read(work.session, user.id)
    return RedirectResponse("/notifications", status_code=303)


async def _settings_page(
    request: Request,
    session: SessionDep,
    user_id: int,
    *,
    values: preferences.Preferences | None = None,
    done: bool = False,
    error: str | None = None,
    status: int = 200,
) -> Response:
    current = values or await preferences.get_preferences(session, user_id)
    messages = []
    if done:
        messages.append({"kind": "success", "text": "Settings saved."})
    if error:
        messages.append({"kind": "error", "text": error})
    return render(
        request,
        "settings.html",
        {"prefs": current, "zones": preferences.zone_names(), "messages": messages},
        status_code=status,
    )


@router.get("/settings")
async def settings_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[Literal["saved"] | None, Query()] = None,
) -> Response:
    return await _settings_page(request, session, user.id, done=done == "saved")


@router.post("/settings")
async def save_settings(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    time_zone: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=64)] = "",
    leaderboard_opt_in: Annotated[bool, Form()] = False,
    email_notifications: Annotated[bool, Form()] = False,
) -> Response:
    sent = preferences.Preferences(
        time_zone.strip() or None,
        display_name.strip() or None,
        leaderboard_opt_in,
        email_notifications,
    )
    try:
        await preferences.update_preferences(
            work.session, user_id=user.id, changes=sent, actor=actor_for_user(user)
        )
    except REFUSALS as exc:
        await work.rollback()
        return await _settings_page(
            request, work.session, user.id, values=sent, error=exc.message, status=status_of(exc)
        )
    return RedirectResponse("/settings?done=saved", status_code=303)
