"""The admin area's feature flags: create, switch, reset to the default, delete."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import actor_for_user
from courtside.errors import REFUSALS, status_of
from courtside.services import flag_admin
from courtside.services.flags import DEFAULTS
from courtside.unit_of_work import SessionDep, UnitOfWork, UnitOfWorkDep
from courtside.web.admin_common import (
    DoneCode,
    DoneQuery,
    FlagName,
    admin_page,
    messages_for,
    redirect_done,
)
from courtside.web.session import PageAdmin

router = APIRouter(prefix="/admin", include_in_schema=False)


# --- flags -----------------------------------------------------------------------------


async def _flags_page(
    request: Request,
    session: SessionDep,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    flags = await flag_admin.list_flags(session)
    return admin_page(
        request,
        "admin/flags.html",
        "flags",
        {"flags": flags, "builtin": DEFAULTS, "messages": messages_for(done, error)},
        status,
    )


@router.get("/flags")
async def flagsadmin_page(
    request: Request, session: SessionDep, _admin: PageAdmin, done: DoneQuery = None
) -> Response:
    return await _flags_page(request, session, done=done)


async def _flag_action(
    request: Request, work: UnitOfWork, action: Awaitable[object], code: DoneCode
) -> Response:
    try:
        await action
    except REFUSALS as exc:
        await work.rollback()
        return await _flags_page(request, work.session, error=exc.message, status=status_of(exc))
    return redirect_done("/admin/flags", code)


@router.post("/flags")
async def create_flag(
    request: Request,
    work: UnitOfWorkDep,
    admin: PageAdmin,
    _csrf: CsrfProtected,
    name: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=255)] = "",
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    # lazy: the flag schema loads only when a flag is created
    from pydantic import ValidationError

    from courtside.schemas.betting import FlagCreate  # lazy: as above

    try:
        body = FlagCreate(
            name=name.strip().lower(), enabled=enabled, description=description.strip()
        )
    except ValidationError:
        return await _flags_page(
            request,
            work.session,
            error="A flag name is 2-64 characters: lower-case letters, digits and _, "
            "starting with a letter.",
            status=422,
        )
    action = flag_admin.create_flag(
        work.session,
        actor=actor_for_user(admin),
        name=body.name,
        enabled=body.enabled,
        description=body.description,
    )
    return await _flag_action(request, work, action, "flag_created")


@router.post("/flags/{name}/toggle")
async def toggle_flag(
    request: Request,
    work: UnitOfWorkDep,
    admin: PageAdmin,
    _csrf: CsrfProtected,
    name: FlagName,
    enabled: Annotated[bool, Form()],
) -> Response:
    """Switch a flag to the state the button showed (`enabled`), so a double submit or two
    admins pressing "Switch off" at once leave it off rather than flipping it back."""
    action = flag_admin.update_flag(
        work.session, actor=actor_for_user(admin), name=name, enabled=enabled
    )
    return await _flag_action(request, work, action, "flag_toggled")


@router.post("/flags/{name}/delete")
async def delete_flag(
    request: Request, work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected, name: FlagName
) -> Response:
    action = flag_admin.delete_flag(work.session, actor=actor_for_user(admin), name=name)
    return await _flag_action(request, work, action, "flag_deleted")


@router.post("/flags/{name}/reset")
async def reset_flag(
    request: Request, work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected, name: FlagName
) -> Response:
    """Put a built-in flag back to its default (built-in flags cannot be deleted)."""
    action = flag_admin.reset_flag(work.session, actor=actor_for_user(admin), name=name)
    return await _flag_action(request, work, action, "flag_reset")
