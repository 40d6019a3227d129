"""The admin area's users: find them, change a role, deactivate, force a password reset."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import AuthUser, actor_for_user
from courtside.errors import REFUSALS, status_of
from courtside.models import Role
from courtside.schemas.common import PageParams
from courtside.services import users
from courtside.unit_of_work import SessionDep, UnitOfWork, UnitOfWorkDep
from courtside.web import query_params
from courtside.web.admin_common import (
    PAGE_SIZE,
    DoneCode,
    DoneQuery,
    Id,
    PageNumber,
    admin_page,
    messages_for,
    pagination,
    redirect_done,
)
from courtside.web.session import PageAdmin

router = APIRouter(prefix="/admin", include_in_schema=False)


# --- users -----------------------------------------------------------------------------


async def _users_page(
    request: Request,
    session: SessionDep,
    admin: AuthUser,
    *,
    q: str = "",
    role: str | None = None,
    status: str | None = None,
    page: int = 1,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    active = None if status is None else status == "active"
    found = await users.user_lines(  # columns: no ORM object, no BEGIN on a GET
        session,
        search=q or None,
        role=role,
        is_active=active,
        page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
    )
    rows, total = found.items, found.total
    return admin_page(
        request,
        "admin/users.html",
        "users",
        {
            "users": rows,
            "q": q,
            "role": role or "",
            "status": status or "",
            "roles": [r.value for r in Role],
            "me": admin,
            "messages": messages_for(done, error),
            **pagination(total, page),
        },
        status_code,
    )


@router.get("/users")
async def usersadmin_page(
    request: Request,
    session: SessionDep,
    admin: PageAdmin,
    q: Annotated[str, Query(max_length=64)] = "",
    role: query_params.RoleQuery = None,  # an empty field ("Any") is no filter
    status: query_params.UserStatusQuery = None,
    page: PageNumber = 1,
    done: DoneQuery = None,
) -> Response:
    return await _users_page(
        request, session, admin, q=q.strip(), role=role, status=status, page=page, done=done
    )


async def _user_action(
    request: Request,
    work: UnitOfWork,
    admin: AuthUser,
    action: Awaitable[object],
    code: DoneCode,
) -> Response:
    try:
        await action
    except REFUSALS as exc:  # a user the admin may not change (NotFound is a 404 page)
        await work.rollback()
        return await _users_page(
            request, work.session, admin, error=exc.message, status_code=status_of(exc)
        )
    return redirect_done("/admin/users", code)


@router.post("/users/{user_id}/role")
async def change_role(
    request: Request,
    work: UnitOfWorkDep,
    admin: PageAdmin,
    _csrf: CsrfProtected,
    user_id: Id,
    role: Annotated[Literal["Admin", "Consumer"], Form()],
) -> Response:
    action = users.set_role(work.session, user_id=user_id, role=role, actor=actor_for_user(admin))
    return await _user_action(request, work, admin, action, "role_changed")


@router.post("/users/{user_id}/active")
async def change_active(
    request: Request,
    work: UnitOfWorkDep,
    admin: PageAdmin,
    _csrf: CsrfProtected,
    user_id: Id,
    active: Annotated[bool, Form()],
) -> Response:
    action = users.set_active(
        work.session, user_id=user_id, active=active, actor=actor_for_user(admin)
    )
    code: DoneCode = "reactivated" if active else "deactivated"
    return await _user_action(request, work, admin, action, code)


@router.post("/users/{user_id}/reset")
async def force_reset(
    request: Request, work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected, user_id: Id
) -> Response:
    action = users.force_password_reset(work.session, user_id=user_id, actor=actor_for_user(admin))
    return await _user_action(request, work, admin, action, "reset_forced")
