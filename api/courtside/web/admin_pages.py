"""The admin area (`/admin`, role Admin): feature flags, users, API keys and the audit log.

Anonymous visitors are redirected to the login page, Consumers get a 403 page
(`PageAdmin`). Every form POST is CSRF-protected, audited by the service it calls, and
answered with a redirect (303) carrying a fixed message code, so a reload never repeats
an action and no text from the URL is ever shown. A refused action re-renders the page
with the reason and its status code. A new API key's secret is shown once, in the
response to the POST that created it, and never again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.cookies import cookie_secure
from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import AuthUser, actor_for_user
from courtside.cache_control import NO_STORE_HEADERS as NO_STORE
from courtside.db import SessionDep
from courtside.errors import ApiError
from courtside.models import ApiScope, Role
from courtside.schemas.common import PageParams
from courtside.services import api_keys, audit, flag_admin, users
from courtside.services.flags import DEFAULTS
from courtside.settings import get_app_settings
from courtside.unit_of_work import UnitOfWork, UnitOfWorkDep
from courtside.web import query_params
from courtside.web.session import PageAdmin, formatter
from courtside.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

PAGE_SIZE = 25
FlagName = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
PageNumber = query_params.PageNumber

DONE_MESSAGES = {
    "flag_created": "Flag created.",
    "flag_toggled": "Flag switched.",
    "flag_deleted": "Flag deleted.",
    "role_changed": "Role changed. The user's old sessions are signed out.",
    "deactivated": "User deactivated and signed out everywhere.",
    "reactivated": "User reactivated.",
    "reset_forced": "The user must choose a new password at next sign-in.",
    "key_revoked": "API key revoked.",
    "flag_reset": "Flag reset to its default.",
    "simulated": "Simulated results ingested.",
}
DoneCode = Literal[
    "flag_created",
    "flag_toggled",
    "flag_deleted",
    "role_changed",
    "deactivated",
    "reactivated",
    "reset_forced",
    "key_revoked",
    "flag_reset",
    "simulated",
]
DoneQuery = Annotated[DoneCode | None, Query()]


def _messages(done: str | None, error: str | None = None) -> list[dict[str, str]]:
    messages = []
    if done in DONE_MESSAGES:
        messages.append({"kind": "success", "text": DONE_MESSAGES[done]})
    if error:
        messages.append({"kind": "error", "text": error})
    return messages


def _done(path: str, code: DoneCode) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={code}", status_code=303)


def _pages(total: int, page: int) -> dict[str, int]:
    return {"page": page, "pages": max(1, -(-total // PAGE_SIZE)), "total": total}


DETAILS_CHARS = 200


def _brief(details: dict[str, Any] | None) -> str:
    """An event's details on one line, cut short (ingestion batches can be large)."""
    import json

    text = json.dumps(details or {}, default=str, separators=(", ", "=")).strip("{}")
    text = text.replace('"', "")
    return text if len(text) <= DETAILS_CHARS else text[:DETAILS_CHARS] + "\u2026"


def _page(
    request: Request, template: str, section: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(
        request,
        template,
        {"section": section, "local": formatter(request).when, "brief": _brief, **context},
        status_code=status,
        headers=NO_STORE,
    )


@router.get("")
async def admin_home(
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    done: DoneQuery = None,
    games: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    settled: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
) -> Response:
    flags = await flag_admin.list_flags(session)
    user_total = (await users.list_users(session, page=PageParams(limit=1, offset=0))).total
    active_keys = (
        await api_keys.list_keys(session, include_revoked=False, page=PageParams(limit=1, offset=0))
    ).total
    recent = await audit.list_events(session, page=PageParams(limit=8, offset=0))
    return _page(
        request,
        "admin/index.html",
        "home",
        {
            "flags": flags,
            "user_total": user_total,
            "active_keys": active_keys,
            "events": recent.items,
            "can_simulate": get_app_settings().is_local,
            "messages": _messages(done),
            "simulated": (games, settled) if done == "simulated" else None,
        },
    )


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
    return _page(
        request,
        "admin/flags.html",
        "flags",
        {"flags": flags, "builtin": DEFAULTS, "messages": _messages(done, error)},
        status,
    )


@router.get("/flags")
async def flags_page(
    request: Request, session: SessionDep, _admin: PageAdmin, done: DoneQuery = None
) -> Response:
    return await _flags_page(request, session, done=done)


async def _flag_action(
    request: Request, work: UnitOfWork, action: Awaitable[object], code: DoneCode
) -> Response:
    try:
        await action
    except ApiError as exc:
        await work.rollback()
        return await _flags_page(request, work.session, error=exc.message, status=exc.status_code)
    return _done("/admin/flags", code)


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
    from pydantic import ValidationError

    from courtside.schemas.betting import FlagCreate

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
    found = await users.list_users(
        session,
        search=q or None,
        role=role,
        is_active=active,
        page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
    )
    rows, total = found.items, found.total
    return _page(
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
            "messages": _messages(done, error),
            **_pages(total, page),
        },
        status_code,
    )


@router.get("/users")
async def users_page(
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
    except ApiError as exc:  # a user the admin may not change (NotFound is a 404 page)
        await work.rollback()
        return await _users_page(
            request, work.session, admin, error=exc.message, status_code=exc.status_code
        )
    return _done("/admin/users", code)


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


# --- API keys --------------------------------------------------------------------------


async def _keys_page(
    request: Request,
    session: SessionDep,
    *,
    page: int = 1,
    done: str | None = None,
    error: str | None = None,
    created: tuple[Any, str | None] | None = None,
    status: int = 200,
) -> Response:
    found = await api_keys.list_keys(
        session, page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    )
    rows, total = found.items, found.total
    return _page(
        request,
        "admin/api_keys.html",
        "keys",
        {
            "keys": rows,
            "scopes": [s.value for s in ApiScope],
            "created": created,
            "messages": _messages(done, error),
            **_pages(total, page),
        },
        status,
    )


NEW_KEY_COOKIE = "courtside_new_api_key"
NEW_KEY_PATH = "/admin/api-keys"
NEW_KEY_SECONDS = 120


@router.get("/api-keys")
async def keys_page(
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    page: PageNumber = 1,
    done: DoneQuery = None,
    created: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """The keys; after a creation (`created=<id>`), the new key's secret, once: it travels
    from the POST in a short-lived cookie (HttpOnly, SameSite=Strict, this path only)
    that this page reads and deletes, so a reload shows it no more and creates nothing."""
    shown = None
    if created is not None:
        row = await api_keys.get_key(session, created)
        secret = request.cookies.get(NEW_KEY_COOKIE, "")
        shown = (row, secret if secret.startswith(f"cs_{row.prefix}_") else None)
    response = await _keys_page(request, session, page=page, done=done, created=shown)
    if request.cookies.get(NEW_KEY_COOKIE):
        response.delete_cookie(
            NEW_KEY_COOKIE, path=NEW_KEY_PATH, secure=cookie_secure(request), httponly=True,
            samesite="strict",
        )  # fmt: skip
    return response


@router.post("/api-keys")
async def create_key(
    request: Request,
    work: UnitOfWorkDep,
    admin: PageAdmin,
    _csrf: CsrfProtected,
    name: Annotated[str, Form(max_length=64)],
    scope: Annotated[Literal["read", "write"], Form()],
) -> Response:
    """Create a key, then redirect to the page that shows its secret once (post/redirect/
    get: a reload never creates a second key). The secret is never stored in clear."""
    session = work.session
    if not name.strip():
        return await _keys_page(request, session, error="Give the key a name.", status=422)
    try:
        row, secret = await api_keys.create_key(
            session, name=name, scope=scope, actor=actor_for_user(admin), created_by_id=admin.id
        )
    except ApiError as exc:
        await work.rollback()
        return await _keys_page(request, session, error=exc.message, status=exc.status_code)
    response = RedirectResponse(f"{NEW_KEY_PATH}?created={row.id}", status_code=303)
    response.set_cookie(
        NEW_KEY_COOKIE, secret, max_age=NEW_KEY_SECONDS, path=NEW_KEY_PATH,
        secure=cookie_secure(request), httponly=True, samesite="strict",
    )  # fmt: skip
    return response


@router.post("/api-keys/{key_id}/revoke")
async def revoke_key(
    request: Request, work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected, key_id: Id
) -> Response:
    await api_keys.revoke_key(work.session, key_id=key_id, actor=actor_for_user(admin))
    return _done("/admin/api-keys", "key_revoked")


# --- audit log -------------------------------------------------------------------------


def _day_start(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=get_app_settings().zone).astimezone(UTC)


@router.get("/audit")
async def audit_page(
    request: Request,
    session: SessionDep,
    _admin: PageAdmin,
    action: Annotated[str, Query(max_length=64)] = "",
    actor_type: query_params.ActorTypeQuery = None,
    actor: Annotated[str, Query(max_length=128)] = "",
    target: Annotated[str, Query(max_length=255)] = "",
    since: query_params.OptionalDay = None,  # from this day (league time)
    until: query_params.OptionalDay = None,  # up to and including this day
    page: PageNumber = 1,
) -> Response:
    events = await audit.list_events(
        session,
        action=action.strip() or None,
        actor_type=actor_type,
        actor=actor.strip() or None,
        target=target.strip() or None,
        since=_day_start(since),
        until=_day_start(until + timedelta(days=1)) if until else None,
        page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
    )
    filters = {
        "action": action,
        "actor_type": actor_type or "",
        "actor": actor,
        "target": target,
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in filters.items() if v})
    error = None
    if since and until and since > until:
        error = "The “from” day is after the “to” day, so nothing can match. Swap them."
    return _page(
        request,
        "admin/audit.html",
        "audit",
        {
            "events": events.items,
            "filters": filters,
            "query": query,
            "messages": _messages(None, error),
            **_pages(events.total, page),
        },
    )


# --- simulated results (local only) ----------------------------------------------------


@router.post("/simulate")
async def simulate(work: UnitOfWorkDep, admin: PageAdmin, _csrf: CsrfProtected) -> Response:
    """Finalise every game that has tipped off, through ingestion (local runs only)."""
    from courtside.services.simulation import simulate_results

    done = await simulate_results(work.session, actor=actor_for_user(admin))
    return RedirectResponse(
        f"/admin?done=simulated&games={done.games}&settled={done.bets_settled}", status_code=303
    )
