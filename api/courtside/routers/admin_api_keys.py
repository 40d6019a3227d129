"""Admin JSON API for machine credentials: create (the key is shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from courtside.auth.deps import AdminUser, actor_for_user
from courtside.db import SessionDep
from courtside.schemas.auth import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from courtside.schemas.common import Page, PageDep, error_responses
from courtside.services import api_keys
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(
    prefix="/v1/admin/api-keys",
    tags=["admin: API keys"],
    responses=error_responses(401, 403, 422),
)

KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=Page[ApiKeyRead])
async def list_keys(
    _admin: AdminUser,
    session: SessionDep,
    page: PageDep,
    include_revoked: Annotated[bool, Query()] = True,
) -> Page[ApiKeyRead]:
    found = await api_keys.list_keys(session, include_revoked=include_revoked, page=page)
    rows, total = found.items, found.total
    return Page[ApiKeyRead](
        items=[ApiKeyRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=ApiKeyCreated, status_code=201)
async def create_key(body: ApiKeyCreate, admin: AdminUser, work: UnitOfWorkDep) -> ApiKeyCreated:
    """The response's `key` is the only time the secret is shown; only its hash is kept."""
    row, full_key = await api_keys.create_key(
        work.session,
        name=body.name,
        scope=body.scope,
        actor=actor_for_user(admin),
        created_by_id=admin.id,
    )
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(row).model_dump(), "key": full_key}
    )


@router.get("/{key_id}", response_model=ApiKeyRead, responses=error_responses(404))
async def get_key(key_id: KeyId, _admin: AdminUser, session: SessionDep) -> ApiKeyRead:
    return ApiKeyRead.model_validate(await api_keys.get_key(session, key_id))


@router.post("/{key_id}/revoke", response_model=ApiKeyRead, responses=error_responses(404))
async def revoke_key(key_id: KeyId, admin: AdminUser, work: UnitOfWorkDep) -> ApiKeyRead:
    """Revoke at once (the next request with the key is 401). Idempotent."""
    row = await api_keys.revoke_key(work.session, key_id=key_id, actor=actor_for_user(admin))
    return ApiKeyRead.model_validate(row)
