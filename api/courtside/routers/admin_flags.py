"""Feature flags for Admins: `/v1/admin/flags` list, create, change (toggle), delete.

Every change is audited and invalidates the flags cache after the commit (registered by
`services.flag_admin`), so all instances see it at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from courtside.auth.deps import AdminUser, actor_for_user
from courtside.cache_control import NO_STORE_HEADERS as NO_STORE
from courtside.db import SessionDep
from courtside.schemas.betting import FlagCreate, FlagRead, FlagUpdate
from courtside.schemas.common import error_responses
from courtside.services import flag_admin
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(
    prefix="/v1/admin/flags", tags=["admin"], responses=error_responses(401, 403, 422)
)

FlagName = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


@router.get("", response_model=list[FlagRead])
async def list_flags(_admin: AdminUser, session: SessionDep, response: Response) -> list[FlagRead]:
    """Stored flags and the built-in ones (`betting_open`, `signup_open`) at their default."""
    response.headers.update(NO_STORE)
    return [FlagRead.model_validate(view) for view in await flag_admin.list_flags(session)]


@router.post("", response_model=FlagRead, status_code=201, responses=error_responses(409))
async def create_flag(body: FlagCreate, admin: AdminUser, work: UnitOfWorkDep) -> FlagRead:
    view = await flag_admin.create_flag(
        work.session,
        actor=actor_for_user(admin),
        name=body.name,
        enabled=body.enabled,
        description=body.description,
    )
    return FlagRead.model_validate(view)


@router.get("/{name}", response_model=FlagRead, responses=error_responses(404))
async def get_flag(
    name: FlagName, _admin: AdminUser, session: SessionDep, response: Response
) -> FlagRead:
    response.headers.update(NO_STORE)
    return FlagRead.model_validate(await flag_admin.get_flag(session, name))


@router.patch("/{name}", response_model=FlagRead, responses=error_responses(404))
async def update_flag(
    name: FlagName, body: FlagUpdate, admin: AdminUser, work: UnitOfWorkDep
) -> FlagRead:
    """Switch a flag on or off (`{"enabled": false}`) or change its description."""
    view = await flag_admin.update_flag(
        work.session,
        actor=actor_for_user(admin),
        name=name,
        enabled=body.enabled,
        description=body.description,
    )
    return FlagRead.model_validate(view)


@router.delete("/{name}", status_code=204, responses=error_responses(404, 409))
async def delete_flag(name: FlagName, admin: AdminUser, work: UnitOfWorkDep) -> Response:
    """Delete a flag an admin created. A built-in flag (`betting_open`, `signup_open`) is
    409: switch it with PATCH instead."""
    await flag_admin.delete_flag(work.session, actor=actor_for_user(admin), name=name)
    return Response(status_code=204)
