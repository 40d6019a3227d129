"""Admin JSON API for accounts: list/search, create (either role), change role/status,
force a password reset, sign a user out everywhere. Every write is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from courtside.auth.deps import AdminUser, actor_for_user
from courtside.db import SessionDep
from courtside.schemas.auth import RoleName, UserCreate, UserRead, UserUpdate
from courtside.schemas.common import Page, PageDep, error_responses
from courtside.services import users
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(
    prefix="/v1/admin/users",
    tags=["admin: users"],
    responses=error_responses(401, 403, 422),
)

UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=Page[UserRead])
async def list_users(
    _admin: AdminUser,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=64, description="Part of a username or e-mail.")
    ] = None,
    role: RoleName | None = None,
    is_active: bool | None = None,
) -> Page[UserRead]:
    found = await users.list_users(session, search=q, role=role, is_active=is_active, page=page)
    rows, total = found.items, found.total
    return Page[UserRead](
        items=[UserRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", response_model=UserRead, status_code=201, responses=error_responses(409))
async def create_user(body: UserCreate, admin: AdminUser, work: UnitOfWorkDep) -> UserRead:
    user = await users.create_user(
        work.session,
        username=body.username,
        email=body.email,
        password=body.password,
        role=body.role,
        actor=actor_for_user(admin),
    )
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=error_responses(404))
async def get_user(user_id: UserId, _admin: AdminUser, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await users.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserRead, responses=error_responses(404, 409))
async def update_user(
    user_id: UserId, body: UserUpdate, admin: AdminUser, work: UnitOfWorkDep
) -> UserRead:
    """Change role and/or active flag, or force a password reset. Any of these signs the
    user out everywhere at once."""
    user = await users.update_user(
        work.session,
        user_id=user_id,
        changes=body.model_dump(exclude_none=True),
        actor=actor_for_user(admin),
    )
    return UserRead.model_validate(user)


@router.post(
    "/{user_id}/logout-everywhere", response_model=UserRead, responses=error_responses(404)
)
async def logout_user_everywhere(
    user_id: UserId, admin: AdminUser, work: UnitOfWorkDep
) -> UserRead:
    user = await users.logout_everywhere(work.session, user_id=user_id, actor=actor_for_user(admin))
    return UserRead.model_validate(user)
