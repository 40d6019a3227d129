"""One sign-in's secrets between the redirect to the provider and its answer.

`state` (the answer belongs to a request this browser made: no login CSRF), `nonce` (the ID
token was minted for this sign-in: no replay), the PKCE `code_verifier` (RFC 7636, S256: a
stolen code is useless) and where to go afterwards are kept in a cookie of their own:
HttpOnly, `SameSite=Lax` (sent on the provider's top-level redirect back, not on cross-site
POSTs), Secure and `__Host-` over HTTPS, ten minutes. Its value is signed with an HMAC under a
key derived from the JWT secret, so nobody can write one, and it is bound to the browser
that started the sign-in: the answer is refused in any other. Nothing is stored server-side,
which suits Lambda (no sticky instance) and survives Redis being down.

The cookie is signed, not encrypted: what it holds is worthless to the browser that holds it
(the verifier only proves that this browser started the sign-in).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from starlette.requests import HTTPConnection
from starlette.responses import Response

from courtside.auth.config import jwt_secret
from courtside.auth.cookies import HOST_PREFIX, cookie_secure

COOKIE = "courtside_sso"
MAX_AGE_SECONDS = 600
_KEY_LABEL = b"courtside oidc flow cookie v1"


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    code_verifier: str
    next_path: str
    started_at: int

    @property
    def code_challenge(self) -> str:
        """S256: base64url(SHA-256(verifier)), unpadded (RFC 7636 4.2)."""
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_flow(next_path: str, *, now: int | None = None) -> Flow:
    return Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(48),  # 64 characters: within RFC 7636's 43-128
        next_path=next_path,
        started_at=int(time.time()) if now is None else now,
    )


def cookie_name(request: HTTPConnection) -> str:
    return HOST_PREFIX + COOKIE if cookie_secure(request) else COOKIE


def _mac(payload: bytes) -> bytes:
    key = hmac.new(jwt_secret().encode(), _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(flow: Flow) -> str:
    payload = json.dumps(asdict(flow), separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(payload))}"


def decode(value: str | None, *, now: int | None = None) -> Flow | None:
    """The flow this cookie holds, or None: missing, forged, altered or older than ten
    minutes."""
    if not value or len(value) > 4096 or value.count(".") != 1:
        return None
    body, signature = value.split(".")
    try:
        payload, mac = _unb64(body), _unb64(signature)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(mac, _mac(payload)):
        return None
    try:
        flow = Flow(**json.loads(payload))
    except (ValueError, TypeError):
        return None
    current = int(time.time()) if now is None else now
    if not 0 <= current - flow.started_at <= MAX_AGE_SECONDS:
        return None
    return flow


def remember(response: Response, request: HTTPConnection, flow: Flow) -> None:
    response.set_cookie(
        cookie_name(request),
        encode(flow),
        max_age=MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        secure=cookie_secure(request),
        samesite="lax",
    )


def presented(request: HTTPConnection) -> Flow | None:
    return decode(request.cookies.get(cookie_name(request)))


def forget(response: Response, request: HTTPConnection) -> None:
    """Used once: a second answer with the same cookie finds none."""
    response.delete_cookie(
        cookie_name(request), path="/", httponly=True, secure=cookie_secure(request), samesite="lax"
    )
