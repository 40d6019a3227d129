"""Tokens, sign-up and the caller's own account (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from courtside.auth import devices
from courtside.auth.deps import CurrentUser, actor_for_user
from courtside.auth.login import password_login
from courtside.auth.ratelimit import client_ip, signup_attempt
from courtside.auth.tokens import issue_token
from courtside.cache_control import NO_STORE
from courtside.models import User
from courtside.schemas.auth import MeRead, PasswordChange, SignupCreate, TokenRead
from courtside.schemas.common import error_responses
from courtside.services import audit, users
from courtside.services.signup import signup_allowed, signup_closed
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(tags=["auth"])


def token_for(user: User) -> TokenRead:
    issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
    return TokenRead(access_token=issued.token, expires_in=issued.expires_in)


@router.post(
    "/token",
    response_model=TokenRead,
    responses=error_responses(401, 403, 422, 429),
    summary="Exchange a username and password for a bearer token",
)
async def create_token(
    request: Request,
    response: Response,
    work: UnitOfWorkDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenRead:
    """OAuth2 password flow (form fields `username`, `password`); also what Swagger's
    "Authorize" button calls. Too many failures give 429 + Retry-After (a client that
    keeps the `courtside_device` cookie set here is not locked out by others' failures).
    The answer is never stored by any cache (RFC 6749 §5.1)."""
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    user = await password_login(
        work.session,
        username=form.username,
        password=form.password,
        ip=client_ip(request),
        device_cookie=devices.presented(request),
    )
    devices.remember(response, request, user.username)
    return token_for(user)


@router.post(
    "/v1/auth/signup",
    response_model=MeRead,
    status_code=201,
    responses=error_responses(403, 409, 422, 429),
    summary="Create a Consumer account",
)
async def signup(request: Request, body: SignupCreate, work: UnitOfWorkDep) -> MeRead:
    if not await signup_allowed(work.session):
        raise signup_closed()
    await signup_attempt(client_ip(request))
    user = await users.sign_up(work.session, body)
    return MeRead(
        id=user.id, username=user.username, email=user.email, role="Consumer", is_admin=False
    )


@router.post(
    "/v1/auth/password",
    status_code=204,
    responses=error_responses(401, 403, 422, 429),
    summary="Change a password with the current one (also completes a forced reset)",
)
async def change_password(request: Request, body: PasswordChange, work: UnitOfWorkDep) -> Response:
    user = await password_login(
        work.session,
        username=body.username,
        password=body.current_password,
        ip=client_ip(request),
        device_cookie=devices.presented(request),
        allow_reset=True,
    )
    await users.change_password(
        work.session,
        user=user,
        new_password=body.new_password,
        actor=audit.Actor("user", str(user.id), user.username),
    )
    response = Response(status_code=204)
    devices.remember(response, request, user.username)
    return response


@router.get("/v1/me", response_model=MeRead, responses=error_responses(401))
async def me(user: CurrentUser) -> MeRead:
    return MeRead(
        id=user.id, username=user.username, email=user.email, role=user.role, is_admin=user.is_admin
    )


@router.post(
    "/v1/me/logout-everywhere",
    status_code=204,
    responses=error_responses(401, 403),
    summary="Revoke every token and session of the caller",
)
async def logout_everywhere(user: CurrentUser, work: UnitOfWorkDep) -> Response:
    await users.logout_everywhere(work.session, user_id=user.id, actor=actor_for_user(user))
    return Response(status_code=204)
