"""The web session: the access JWT in an HttpOnly cookie, and page dependencies.

- `PageUser`: the signed-in user; anonymous visitors are redirected (303) to
  `/login?next=<this path>`.
- `PageAdmin`: the same, and a 403 HTML page for signed-in non-admins.
- `PageOptionalUser`: the user or None (public pages that show who is signed in).

The cookie holds the same JWT as `POST /token` returns: `HttpOnly` (scripts cannot read
it), `Secure` except for plain-http local development, `SameSite=Lax` (not sent on
cross-site POSTs), `Path=/`, and it expires with the token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from courtside.auth.cookies import cookie_secure, session_cookie_name
from courtside.auth.csrf import csrf_context
from courtside.auth.deps import AuthUser, request_user, resolve_user
from courtside.auth.principal import TokenState, load_token_state_and_viewer
from courtside.auth.tokens import IssuedToken
from courtside.errors import ApiError
from courtside.services import preferences
from courtside.services.signup import signup_allowed
from courtside.services.units import Unit, unit_from
from courtside.settings import get_betting_settings
from courtside.unit_of_work import SessionDep
from courtside.web.formatting import Formatter, zone_named

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

_VIEWER = "page_viewer"
_SIGNUP_OPEN = "page_signup_open"


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go to after login; anything else (other hosts, `//x`, `\\x`,
    schemes, control characters) becomes `default`."""
    if not target or len(target) > 2048:
        return default
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 or c in "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def login_redirect(request: Request) -> ApiError:
    path = request.url.path
    if request.url.query:
        path = f"{path}?{request.url.query}"
    return ApiError(
        303,
        "login_required",
        "Sign in to continue.",
        headers={"Location": f"/login?next={quote(safe_next(path), safe='')}"},
    )


async def _page_viewer(request: Request, session: SessionDep) -> AuthUser | None:
    """The signed-in user (as `get_optional_user` checks them) and what the layout shows
    them: their zone, unread notifications and wallet.

    The token's state is read with the viewer, in one statement from the database
    (`principal.load_token_state_and_viewer`; issue 23: a page made a Redis round trip for
    the state, then sent the viewer's statement), by the same check as every other route
    (`deps.resolve_user`)."""
    viewers: list[preferences.Viewer] = []

    async def state_with_viewer(session: AsyncSession, user_id: int, jti: str) -> TokenState | None:
        state, viewer = await load_token_state_and_viewer(session, user_id, jti)
        viewers.append(viewer)
        return state

    user = await resolve_user(request, session, state_with_viewer)
    if user is not None:
        setattr(request.state, _VIEWER, viewers[-1])
    return user


async def page_optional_user(
    request: Request,
    session: SessionDep,
    user: Annotated[AuthUser | None, Depends(_page_viewer)],
) -> AuthUser | None:
    """The signed-in user or None; for a visitor, also whether sign-up is open (the nav
    offers it only then)."""
    if user is None:
        setattr(request.state, _SIGNUP_OPEN, await signup_allowed(session))
    return user


async def page_user(
    request: Request, user: Annotated[AuthUser | None, Depends(_page_viewer)]
) -> AuthUser:
    if user is None:
        raise login_redirect(request)  # before reading anything more
    return user


async def page_admin(user: Annotated[AuthUser, Depends(page_user)]) -> AuthUser:
    if not user.is_admin:
        raise ApiError(403, "forbidden", "This page is for administrators.")
    return user


PageOptionalUser = Annotated[AuthUser | None, Depends(page_optional_user)]
PageUser = Annotated[AuthUser, Depends(page_user)]
PageAdmin = Annotated[AuthUser, Depends(page_admin)]


def set_session_cookie(response: Response, request: Request, issued: IssuedToken) -> None:
    response.set_cookie(
        session_cookie_name(request),
        issued.token,
        max_age=issued.expires_in,
        path="/",
        httponly=True,
        secure=cookie_secure(request),
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        session_cookie_name(request),
        path="/",
        httponly=True,
        secure=cookie_secure(request),
        samesite="lax",
    )


def viewer_zone(request: Request) -> str | None:
    """The time zone the signed-in viewer chose (None: the league's)."""
    viewer = getattr(request.state, _VIEWER, None)
    return viewer.time_zone if isinstance(viewer, preferences.Viewer) else None


def viewer_wallet(request: Request) -> tuple[int, int]:
    """The signed-in viewer's (balance, starting bankroll) in cents as the page dependency
    read them (one statement with the zone and the unread count); the starting bankroll for
    both when there is no wallet yet."""

    viewer = getattr(request.state, _VIEWER, None)
    start = get_betting_settings().starting_bankroll_cents
    if not isinstance(viewer, preferences.Viewer) or viewer.balance_cents is None:
        return start, start
    starting = start if viewer.starting_cents is None else viewer.starting_cents
    return viewer.balance_cents, starting


def viewer_unit(request: Request) -> Unit:
    """The signed-in viewer's unit, from the wallet columns the page dependency read."""
    viewer = getattr(request.state, _VIEWER, None)
    if not isinstance(viewer, preferences.Viewer) or viewer.balance_cents is None:
        return unit_from(None, None)
    return unit_from(viewer.unit_cents, viewer.starting_cents)


def formatter(request: Request) -> Formatter:
    return Formatter(zone_named(viewer_zone(request)))


def session_context(request: Request) -> dict[str, Any]:
    """Template context hook: `current_user` (None unless an auth dependency ran), its
    unread notifications, whether sign-up is open, and `fmt` (times in the viewer's zone)."""
    viewer = getattr(request.state, _VIEWER, None)
    return {
        "current_user": request_user(request),
        "unread_count": viewer.unread if isinstance(viewer, preferences.Viewer) else 0,
        "signup_open": bool(getattr(request.state, _SIGNUP_OPEN, False)),
        "fmt": formatter(request),
    }


def install_context_hooks() -> None:
    """Register the auth context hooks (idempotent: create_app may run many times)."""
    from courtside.web.templating import add_context_hook  # lazy: jinja2's module, pages only

    for hook in (session_context, csrf_context):
        add_context_hook(hook)
