"""The viewer's own account (`/account`): change the password or the e-mail address, reset
the bankroll, delete the account. Every form is CSRF-protected; the password, the address
and deleting also ask for the current password (`auth.reauthentication`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth.csrf import CsrfProtected, forget_binding
from courtside.auth.deps import AuthUser, actor_for_user
from courtside.auth.ratelimit import client_ip
from courtside.auth.reauthentication import confirm_password
from courtside.auth.tokens import issue_token
from courtside.errors import REFUSALS, ApiError, Refusal, headers_of, status_of
from courtside.services import account_deletion, account_email, bankroll, bet_record, users
from courtside.settings import get_auth_settings
from courtside.unit_of_work import SessionDep, UnitOfWorkDep
from courtside.web.account_links import links_for
from courtside.web.session import (
    PageOptionalUser,
    PageUser,
    clear_session_cookie,
    set_session_cookie,
)
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)

FormText = Annotated[str, Form(max_length=1024)]
Done = Literal["password", "email", "bankroll"]
DONE: dict[str, str] = {
    "password": "Password changed. Your other sessions are signed out.",
    "email": (
        "We sent a confirmation link to the new address. Your address changes when you open "
        "it (within 24 hours); until then the old one stays."
    ),
    "bankroll": "Bankroll reset. My record lists the reset.",
}
Section = Literal["password", "email", "bankroll", "delete"]


async def _account_page(
    request: Request,
    session: SessionDep,
    user: AuthUser,
    *,
    done: str | None = None,
    error: str | None = None,
    section: Section | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    summary = await bet_record.summary(session, user.id)
    return render(
        request,
        "account.html",
        {
            "summary": summary,
            "email": user.email,
            "email_enabled": account_email.email_enabled(),
            "is_admin": user.is_admin,
            "password_min_length": get_auth_settings().password_min_length,
            "messages": [{"kind": "success", "text": DONE[done]}] if done in DONE else [],
            "error": error,
            "section": section,
        },
        status_code=status,
        headers=headers,
    )


async def _refused(
    request: Request, work: UnitOfWorkDep, user: AuthUser, section: Section, exc: Refusal
) -> Response:
    await work.rollback()
    return await _account_page(
        request,
        work.session,
        user,
        error=exc.message,
        section=section,
        status=status_of(exc),
        headers=headers_of(exc) if status_of(exc) == 429 else None,
    )


@router.get("/account")
async def account_page(
    request: Request,
    session: SessionDep,
    user: PageUser,
    done: Annotated[Done | None, Query()] = None,
) -> Response:
    return await _account_page(request, session, user, done=done)


@router.post("/account/password")
async def change_password(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    current_password: FormText = "",
    new_password: FormText = "",
    new_password_again: FormText = "",
) -> Response:
    """Signs out every other session; this browser gets a fresh one."""
    try:
        if not new_password:
            raise ApiError(422, "password_required", "Choose a new password.")
        if new_password != new_password_again:
            raise ApiError(422, "passwords_differ", "The two new passwords differ.")
        account = await confirm_password(
            work.session, user=user, password=current_password, ip=client_ip(request)
        )
        await users.change_password(
            work.session, user=account, new_password=new_password, actor=actor_for_user(user)
        )
    except REFUSALS as exc:
        return await _refused(request, work, user, "password", exc)
    response = RedirectResponse("/account?done=password", status_code=303)
    issued = issue_token(user_id=account.id, role=account.role, token_version=account.token_version)
    set_session_cookie(response, request, issued)
    forget_binding(request)
    return response


@router.post("/account/email")
async def change_email(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    current_password: FormText = "",
    new_email: FormText = "",
) -> Response:
    """The same answer whether or not the address is taken (`services.account_email`)."""
    try:
        if not account_email.email_enabled():
            raise ApiError(
                409,
                "email_off",
                "This site sends no e-mail, so a new address cannot be confirmed: ask an "
                "administrator.",
            )
        address = account_email.parse_address(new_email)
        await confirm_password(
            work.session, user=user, password=current_password, ip=client_ip(request)
        )
        await account_email.request_email_change(
            work.session, user_id=user.id, new_email=address, links=links_for(request)
        )
    except REFUSALS as exc:
        return await _refused(request, work, user, "email", exc)
    return RedirectResponse("/account?done=email", status_code=303)


@router.post("/account/bankroll/reset")
async def reset_bankroll(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    confirm: FormText = "",
) -> Response:
    try:
        if confirm != "yes":
            raise ApiError(422, "not_confirmed", "Tick the box to confirm the reset.")
        await bankroll.reset_bankroll(work.session, user_id=user.id, actor=actor_for_user(user))
    except REFUSALS as exc:
        return await _refused(request, work, user, "bankroll", exc)
    return RedirectResponse("/account?done=bankroll", status_code=303)


@router.post("/account/delete")
async def delete_account(
    request: Request,
    work: UnitOfWorkDep,
    user: PageUser,
    _csrf: CsrfProtected,
    current_password: FormText = "",
    confirm: FormText = "",
) -> Response:
    try:
        if confirm != "yes":
            raise ApiError(422, "not_confirmed", "Tick the box to confirm the deletion.")
        await confirm_password(
            work.session, user=user, password=current_password, ip=client_ip(request)
        )
        await account_deletion.delete_account(
            work.session, user_id=user.id, actor=actor_for_user(user)
        )
    except REFUSALS as exc:
        return await _refused(request, work, user, "delete", exc)
    response = RedirectResponse("/account/deleted", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/account/deleted")
async def account_deleted(request: Request, _user: PageOptionalUser) -> Response:
    return render(request, "account_deleted.html")
