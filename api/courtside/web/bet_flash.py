"""A refused bet travels from `POST /bets` to the page it was placed from (post/redirect/get).

A refusal used to be answered by rendering the board at `/bets`: the address bar kept
`/bets`, a reload asked to send the form again and opening the address gave 405. Now the
POST redirects (303) to the board or the game page, and the refused form (the game, the
reason, the side and stake as typed) rides along in a cookie that lives two minutes and that
the page reads once and deletes. A reload then shows the page without the message and sends
nothing.

The cookie is signed (HMAC-SHA256 with the JWT secret) and bound to the user, so only this
server can write a message into it, and it is HttpOnly, SameSite=Lax, `Path=/`, and Secure
over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from courtside.auth.config import jwt_secret
from courtside.auth.cookies import cookie_secure
from courtside.web.cards import FormState

COOKIE = "courtside_bet_refused"
MAX_AGE_SECONDS = 120
MAX_TEXT = 300


def _signature(payload: str) -> str:
    key = jwt_secret().encode()
    digest = hmac.new(key, f"bet-refused|{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def remember(response: Response, request: Request, user_id: int, form: FormState) -> None:
    """Put the refused form on the redirect `response`."""
    body = {
        "u": user_id,
        "g": form.game_id,
        "e": form.error[:MAX_TEXT],
        "s": form.side,
        "k": form.stake[:32],
    }
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    response.set_cookie(
        COOKIE, f"{payload}.{_signature(payload)}", max_age=MAX_AGE_SECONDS, path="/",
        secure=cookie_secure(request), httponly=True, samesite="lax",
    )  # fmt: skip


def _decode(value: str, user_id: int) -> FormState | None:
    payload, _, signature = value.partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(payload)):
        return None
    try:
        body: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("u") != user_id:
        return None
    game_id, error, side, stake = body.get("g"), body.get("e"), body.get("s"), body.get("k")
    if not isinstance(game_id, int) or not all(isinstance(v, str) for v in (error, side, stake)):
        return None
    return FormState(game_id, str(error), str(side), str(stake))


def take(request: Request, user_id: int | None) -> FormState | None:
    """The refused form meant for this user, if the request carries one."""
    value = request.cookies.get(COOKIE)
    if not value or user_id is None:
        return None
    return _decode(value, user_id)


def forget(response: Response, request: Request) -> None:
    """Delete the cookie (on the page that showed it), if the request had one."""
    if request.cookies.get(COOKIE):
        response.delete_cookie(
            COOKIE, path="/", secure=cookie_secure(request), httponly=True, samesite="lax"
        )
