"""The pages behind the links sent by e-mail, and the form that sends one: forgot password,
reset password, confirm a new e-mail address. Visitors need not be signed in (the link is
the proof); every form is CSRF-protected (the anonymous binding, see `auth.csrf`).

A GET never uses a link up (mail scanners open links): it shows a form, and the form's POST
does the change. The pages that carry a link's secret in their address send
`Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth import account_limits, ratelimit
from courtside.auth.csrf import CsrfProtected
from courtside.errors import REFUSALS, ApiError, headers_of, status_of
from courtside.services import account_email, account_tokens
from courtside.settings import get_app_settings, get_auth_settings
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.session import PageOptionalUser, clear_session_cookie
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=1024)]
TokenQuery = Annotated[str, Query(max_length=256)]
SECRET_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
SENT = (
    "If an account uses that address, we sent it a link to choose a new password. It works "
    f"once, within {account_tokens.PASSWORD_RESET_LIFETIME.seconds // 60} minutes. Nothing "
    "arrived? Check the spam folder, or ask again later."
)
NO_EMAIL = (
    "This site sends no e-mail, so it cannot send you a link: ask an administrator to reset "
    "your password."
)


def links_for(request: Request) -> account_email.Links:
    """The base of the links in e-mails: `PUBLIC_BASE_URL`, or (locally only) the address
    this request came to. Never the Host header of a deployment: anyone could set it and
    have a reset link point at their own site."""
    settings = get_app_settings()
    if settings.public_base_url:
        return account_email.Links(settings.public_base_url)
    if not settings.is_local:
        raise ApiError(503, "not_configured", "E-mail links need PUBLIC_BASE_URL to be set.")
    return account_email.Links(str(request.base_url))


def _messages(*, success: str | None = None, error: str | None = None) -> list[dict[str, str]]:
    return [
        {"kind": kind, "text": text}
        for kind, text in (("success", success), ("error", error))
        if text
    ]


# --- forgot password ----------------------------------------------------------------------


def _forgot_page(
    request: Request,
    *,
    sent: bool = False,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    enabled = account_email.email_enabled()
    return render(
        request,
        "password_forgot.html",
        {
            "email_enabled": enabled,
            "email": email,
            "messages": _messages(
                success=SENT if sent else None, error=error if enabled else NO_EMAIL
            ),
        },
        status_code=status,
        headers=headers,
    )


@router.get("/password/forgot")
async def forgot_form(
    request: Request,
    _user: PageOptionalUser,
    done: Annotated[Literal["sent"] | None, Query()] = None,
) -> Response:
    return _forgot_page(request, sent=done == "sent")


@router.post("/password/forgot")
async def forgot(
    request: Request, work: UnitOfWorkDep, _csrf: CsrfProtected, email: FormText = ""
) -> Response:
    """The same answer whether or not an account uses the address (see the service)."""
    if not account_email.email_enabled():
        return _forgot_page(request)
    try:
        address = account_email.parse_address(email)
        await account_limits.forgot_password_attempt(ratelimit.client_ip(request))
        if await account_limits.may_email(address):
            await account_email.request_password_reset(
                work.session, email=address, links=links_for(request)
            )
    except REFUSALS as exc:
        await work.rollback()
        return _forgot_page(
            request,
            error=exc.message,
            email=email[:254],
            status=status_of(exc),
            headers=headers_of(exc) if status_of(exc) == 429 else None,
        )
    return RedirectResponse("/password/forgot?done=sent", status_code=303)


# --- reset password -----------------------------------------------------------------------


async def _reset_page(
    request: Request,
    session: SessionDep,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    account = await account_email.account_for_reset(session, token) if token else None
    if account is None:
        error, status = account_email.link_invalid().message, 400
    return render(
        request,
        "password_reset.html",
        {
            "token": token if account else "",
            "username": account.username if account else None,
            "password_min_length": get_auth_settings().password_min_length,
            "messages": _messages(error=error),
        },
        status_code=status,
        headers=SECRET_PAGE_HEADERS,
    )


@router.get("/password/reset")
async def reset_form(
    request: Request,
    session: SessionDep,
    _user: PageOptionalUser,
    token: TokenQuery = "",
    done: Annotated[Literal["1"] | None, Query()] = None,
) -> Response:
    if done:
        return render(request, "password_reset.html", {"done": True}, headers=SECRET_PAGE_HEADERS)
    return await _reset_page(request, session, token)


@router.post("/password/reset")
async def reset(
    request: Request,
    work: UnitOfWorkDep,
    _csrf: CsrfProtected,
    token: FormText = "",
    new_password: FormText = "",
    new_password_again: FormText = "",
) -> Response:
    try:
        if not new_password:
            raise ApiError(422, "password_required", "Choose a new password.")
        if new_password != new_password_again:
            raise ApiError(422, "passwords_differ", "The two passwords differ: type them again.")
        user = await account_email.reset_password(
            work.session, secret=token, new_password=new_password
        )
    except REFUSALS as exc:
        await work.rollback()
        return await _reset_page(
            request, work.session, token, error=exc.message, status=status_of(exc)
        )
    # Whoever read the link controls the address: failed sign-ins (someone else's guesses)
    # no longer hold the account's sign-in back.
    await ratelimit.lift_holds(user.username, ratelimit.client_ip(request))
    response = RedirectResponse("/password/reset?done=1", status_code=303)
    clear_session_cookie(response, request)  # every session of the account is over
    return response


# --- confirm a new e-mail address -------------------------------------------------------------


@router.get("/account/email/confirm")
async def confirm_email_form(
    request: Request,
    session: SessionDep,
    _user: PageOptionalUser,
    token: TokenQuery = "",
    done: Annotated[Literal["1"] | None, Query()] = None,
) -> Response:
    if done:
        return render(request, "email_confirm.html", {"done": True}, headers=SECRET_PAGE_HEADERS)
    address = await account_email.pending_email_change(session, token) if token else None
    return render(
        request,
        "email_confirm.html",
        {
            "token": token if address else "",
            "address": address,
            "messages": _messages(error=None if address else account_email.link_invalid().message),
        },
        status_code=200 if address else 400,
        headers=SECRET_PAGE_HEADERS,
    )


@router.post("/account/email/confirm")
async def confirm_email(
    request: Request, work: UnitOfWorkDep, _csrf: CsrfProtected, token: FormText = ""
) -> Response:
    try:
        await account_email.confirm_email_change(
            work.session, secret=token, links=links_for(request)
        )
    except REFUSALS as exc:
        await work.rollback()
        return render(
            request,
            "email_confirm.html",
            {"token": "", "address": None, "messages": _messages(error=exc.message)},
            status_code=status_of(exc),
            headers=SECRET_PAGE_HEADERS,
        )
    return RedirectResponse("/account/email/confirm?done=1", status_code=303)
