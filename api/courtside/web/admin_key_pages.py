"""The admin area's API keys. A new key's secret is shown once, in the response to the
POST that created it, and never again."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.cookies import cookie_secure
from courtside.auth.csrf import CsrfProtected
from courtside.auth.deps import actor_for_user
from courtside.errors import REFUSALS, status_of
from courtside.models import ApiScope
from courtside.schemas.common import PageParams
from courtside.services import api_keys
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.admin_common import (
    PAGE_SIZE,
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
    return admin_page(
        request,
        "admin/api_keys.html",
        "keys",
        {
            "keys": rows,
            "scopes": [s.value for s in ApiScope],
            "created": created,
            "messages": messages_for(done, error),
            **pagination(total, page),
        },
        status,
    )


NEW_KEY_COOKIE = "courtside_new_api_key"
NEW_KEY_PATH = "/admin/api-keys"
NEW_KEY_SECONDS = 120


@router.get("/api-keys")
async def keysadmin_page(
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
    except REFUSALS as exc:
        await work.rollback()
        return await _keys_page(request, session, error=exc.message, status=status_of(exc))
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
    return redirect_done("/admin/api-keys", "key_revoked")
