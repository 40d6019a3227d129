"""Sign-in, sign-out and sign-up pages (HTML forms, no JavaScript needed).

The session is the access JWT in an HttpOnly cookie (see `session`). Every form POST is
CSRF-protected. `next` only ever leads to a path on this site (no open redirect).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth import devices, ratelimit, revocation
from courtside.auth.cookies import session_cookie_name
from courtside.auth.csrf import CsrfProtected, forget_binding, submitted_token, token_matches
from courtside.auth.login import password_login
from courtside.auth.tokens import InvalidToken, decode_token, issue_token
from courtside.errors import REFUSALS, ApiError, headers_of, status_of
from courtside.models import User
from courtside.services import audit, users
from courtside.services.signup import signup_allowed
from courtside.settings import get_auth_settings
from courtside.sso_settings import sso_button_label
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.session import (
    PageOptionalUser,
    clear_session_cookie,
    safe_next,
    set_session_cookie,
)
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=1024)]
"""Form fields are checked by the page (which re-renders the form with the reason), not
refused with a bare 422 page; the length bound only keeps absurd input out."""


def signed_in_redirect(request: Request, user: User, target: str) -> Response:
    """The session after any sign-in (password, sign-up, SSO): the app's own JWT in the
    cookie, the device remembered, the anonymous CSRF binding dropped."""
    issued = issue_token(user_id=user.id, role=user.role, token_version=user.token_version)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, issued)
    devices.remember(response, request, user.username)
    forget_binding(request)
    return response


async def _login_page(
    request: Request,
    session: SessionDep,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    reset_required: bool = False,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "login.html",
        {
            "next": next_path,
            "username": username,
            "error": error,
            "reset_required": reset_required,
            "signup_open": await signup_allowed(session),
            "password_min_length": get_auth_settings().password_min_length,
            "sso_label": sso_button_label(),
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/login")
async def login_form(
    request: Request,
    session: SessionDep,
    user: PageOptionalUser,
    next: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    target = safe_next(next)
    if user is not None:
        return RedirectResponse(target, status_code=303)
    return await _login_page(request, session, next_path=target)


@router.post("/login")
async def login(
    request: Request,
    work: UnitOfWorkDep,
    _csrf: CsrfProtected,
    username: FormText = "",
    password: FormText = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
    new_password: FormText = "",
) -> Response:
    target = safe_next(next)
    ip = ratelimit.client_ip(request)
    if not username.strip() or not password:
        return await _login_page(
            request,
            work.session,
            next_path=target,
            username=username.strip().lower()[:64],
            error="Enter your username and password.",
            status_code=422,
        )
    try:
        user = await password_login(
            work.session,
            username=username,
            password=password,
            ip=ip,
            device_cookie=devices.presented(request),
            allow_reset=bool(new_password),
        )
        if new_password:
            await users.change_password(
                work.session,
                user=user,
                new_password=new_password,
                actor=audit.Actor("user", str(user.id), user.username),
            )
    except REFUSALS as exc:
        await work.rollback()
        return await _login_page(
            request,
            work.session,
            next_path=target,
            username=username.strip().lower()[:64],
            error=None if exc.code == "password_reset_required" else exc.message,
            reset_required=exc.code == "password_reset_required" or bool(new_password),
            status_code=status_of(exc),
            headers=headers_of(exc) if status_of(exc) == 429 else None,
        )
    return signed_in_redirect(request, user, target)


@router.get("/logout")
async def logout_page(request: Request, _user: PageOptionalUser) -> Response:
    """A page with the sign-out form (a POST, CSRF-protected); anonymous visitors get a
    link to the login page. Visiting it signs nobody out: a GET must not change state.
    (`_user` resolves the session, which makes `current_user` known to the template.)"""
    return render(request, "logout.html")


@router.post("/logout")
async def logout(request: Request, work: UnitOfWorkDep) -> Response:
    """Clear the cookie and revoke this session's token (recorded in the database).

    CSRF-checked by hand (not `CsrfProtected`): a visitor whose session already expired
    cannot present a matching token, and should simply land on the login page.
    """
    response = RedirectResponse("/login", status_code=303)
    token = request.cookies.get(session_cookie_name(request))
    if not token:
        return response
    try:
        claims = decode_token(token)
    except InvalidToken:
        clear_session_cookie(response, request)
        return response
    if not token_matches(request, await submitted_token(request)):
        raise ApiError(
            403,
            "csrf_failed",
            "The form has expired or did not come from this site. Reload the page and retry.",
        )
    await revocation.revoke(
        work.session, jti=claims.jti, user_id=claims.user_id, expires_at=claims.expires_at
    )
    clear_session_cookie(response, request)
    return response


async def _signup_page(
    request: Request,
    session: SessionDep,
    *,
    username: str = "",
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    is_open = await signup_allowed(session)
    return render(
        request,
        "signup.html",
        {
            "signup_open": is_open,
            "username": username,
            "email": email,
            "error": error,
            "password_min_length": get_auth_settings().password_min_length,
        },
        status_code=status_code if is_open else 403,
    )


@router.get("/signup")
async def signup_form(request: Request, session: SessionDep, user: PageOptionalUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return await _signup_page(request, session)


@router.post("/signup")
async def signup(
    request: Request,
    work: UnitOfWorkDep,
    _csrf: CsrfProtected,
    username: FormText = "",
    email: FormText = "",
    password: FormText = "",
) -> Response:
    session = work.session
    if not await signup_allowed(session):
        return await _signup_page(request, session, status_code=403)
    # lazy: the sign-up schema loads only when someone signs up
    from pydantic import ValidationError

    from courtside.schemas.auth import SignupCreate  # lazy: as above

    try:
        await ratelimit.signup_attempt(ratelimit.client_ip(request))
        body = SignupCreate(username=username, email=email, password=password)
        user = await users.sign_up(session, body)
    except ValidationError as exc:
        await work.rollback()
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return await _signup_page(
            request,
            session,
            username=username[:64],
            email=email[:254],
            error=problems,
            status_code=422,
        )
    except REFUSALS as exc:
        await work.rollback()
        return await _signup_page(
            request,
            session,
            username=username[:64],
            email=email[:254],
            error=exc.message,
            status_code=status_of(exc),
        )
    return signed_in_redirect(request, user, "/")
