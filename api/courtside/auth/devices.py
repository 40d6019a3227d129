"""Known devices: a signed cookie that lets its holder's right password past a username's
lock-out, so a stranger failing on purpose cannot lock the owner out.

After a successful sign-in (the login page, `POST /token`, a password change, a sign-up) the
response sets `courtside_device` (`__Host-` prefixed over HTTPS): a random id and an HMAC,
under the JWT secret, of that id and the username it was earned for. It is not a
credential: it signs nobody in and holds no secret of the user's; it only tells the login
limiter (`ratelimit`) that this client has signed in as this username before. Such a
client counts its failures on its own (per device id), not with the rest of the world.
The OWASP "device cookies" design; a browser remembers one username's device at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from starlette.requests import HTTPConnection
from starlette.responses import Response

from courtside.auth.config import jwt_secret
from courtside.auth.cookies import cookie_secure, device_cookie_name

MAX_AGE_SECONDS = 180 * 24 * 60 * 60
"""How long a browser stays a known device without signing in again."""
_SHAPE = re.compile(r"(?P<id>[0-9a-f]{32})\.(?P<mac>[0-9a-f]{64})")


def normalized_username(username: str) -> str:
    """The form the limiter keys on (usernames are case-insensitive)."""
    return username.strip().lower()[:64]


def _mac(device_id: str, username: str) -> str:
    message = f"device|{device_id}|{normalized_username(username)}".encode()
    return hmac.new(jwt_secret().encode(), message, hashlib.sha256).hexdigest()


def issue(username: str) -> str:
    """A new device cookie value for `username`."""
    device_id = secrets.token_hex(16)
    return f"{device_id}.{_mac(device_id, username)}"


def known_device(value: str | None, username: str) -> str | None:
    """The device id if `value` is a genuine device cookie earned for `username`, else None."""
    match = _SHAPE.fullmatch(value or "")
    if match is None:
        return None
    if not hmac.compare_digest(match["mac"], _mac(match["id"], username)):
        return None
    return match["id"]


def presented(request: HTTPConnection) -> str | None:
    """The device cookie the request carries, unchecked."""
    return request.cookies.get(device_cookie_name(request))


def remember(response: Response, request: HTTPConnection, username: str) -> None:
    """Make this client a known device of `username` (a fresh id each sign-in)."""
    response.set_cookie(
        device_cookie_name(request),
        issue(username),
        max_age=MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        secure=cookie_secure(request),
        samesite="lax",
    )
