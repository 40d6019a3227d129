"""Cookie names and the Secure flag, decided per request.

Over HTTPS (everywhere but plain-http local development) the cookies are `Secure` and carry
the `__Host-` prefix: browsers then accept them only from this exact host, with `Path=/` and
no `Domain`, so a sibling subdomain cannot plant ("toss") a session or CSRF cookie.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import Scope

from courtside.settings import get_app_settings, get_auth_settings

HOST_PREFIX = "__Host-"


def cookie_secure(request: HTTPConnection) -> bool:
    """Secure everywhere except plain-http local development."""
    return not (get_app_settings().is_local and request.url.scheme == "http")


def _name(request: HTTPConnection, base: str) -> str:
    return HOST_PREFIX + base if cookie_secure(request) else base


def session_cookie_name(request: HTTPConnection) -> str:
    return _name(request, get_auth_settings().session_cookie_name)


def csrf_cookie_name(request: HTTPConnection) -> str:
    return _name(request, get_auth_settings().csrf_cookie_name)


DEVICE_COOKIE = "courtside_device"


def device_cookie_name(request: HTTPConnection) -> str:
    """The known-device cookie of the login limiter (`auth.devices`)."""
    return _name(request, DEVICE_COOKIE)


ANONYMOUS_CSRF_MAX_AGE_SECONDS = 60 * 60 * 24


def anonymous_csrf_cookie(scope: Scope, anonymous_id: str) -> bytes:
    """The `Set-Cookie` value of a new visitor's anonymous CSRF id (see `auth.csrf`)."""
    connection = HTTPConnection(scope)
    cookie = (
        f"{csrf_cookie_name(connection)}={anonymous_id}; Path=/; "
        f"Max-Age={ANONYMOUS_CSRF_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax"
    )
    if cookie_secure(connection):
        cookie += "; Secure"
    return cookie.encode("latin-1")
