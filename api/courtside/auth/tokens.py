"""Access tokens: HS256 JWTs (python-jose) with `sub`, `role`, `iat`, `exp`, `jti`, `ver`.

Only HS256 is accepted. The header is checked before python-jose sees the token, and
python-jose is also given `algorithms=["HS256"]`, so `alg: none`, RS/ES tokens (key
confusion) and anything else are rejected twice. `ver` is the user's token version: bumping
it in the database revokes every token issued before (checked on every request).

The compact serialization is checked strictly first (`_header`): exactly three
unpadded base64url segments and a signature of exactly 32 bytes in canonical form. Python's
base64 decoder skips characters outside the alphabet, so without this check `<token>!!~~`
or a signature with flipped padding bits would verify as the same token.

Nothing the issuer never writes is accepted, even under a valid signature: the header is
exactly `{"alg": "HS256", "typ": "JWT"}` (no `kid`, `jku`, `x5u`, `cty`, `crit`, … for a
library to act on), and the claims are exactly the six above with the types `issue_token`
writes (python-jose itself would take `"exp": "9999999999"`, a string, as a number).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from courtside.auth.config import jwt_secret
from courtside.settings import get_auth_settings

ALGORITHM = "HS256"
HEADER = {"alg": ALGORITHM, "typ": "JWT"}
"""The only header `issue_token` writes (python-jose's)."""
REQUIRED_CLAIMS = ("sub", "role", "iat", "exp", "jti", "ver")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_SIGNATURE_BYTES = 32  # HMAC-SHA256


class InvalidToken(Exception):
    """The token is malformed, expired, forged or signed another way. Never shown in detail."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_in: int
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    role: str
    version: int
    jti: str
    issued_at: int
    expires_at: int


def issue_token(
    *, user_id: int, role: str, token_version: int, now: datetime | None = None
) -> IssuedToken:
    """Sign a fresh access token for this user."""
    # lazy: python-jose (~50 ms) loads on the first token, not with the public API
    from jose import jwt

    issued = now or datetime.now(UTC)
    lifetime = timedelta(minutes=get_auth_settings().access_token_minutes)
    expires = issued + lifetime
    jti = secrets.token_urlsafe(16)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": jti,
        "ver": token_version,
    }
    token = jwt.encode(claims, jwt_secret(), algorithm=ALGORITHM)
    return IssuedToken(
        token=token, jti=jti, expires_in=int(lifetime.total_seconds()), expires_at=expires
    )


def _b64decode(segment: str) -> bytes:
    """Strict unpadded base64url: raises `InvalidToken` unless `segment` is canonical."""
    if _SEGMENT.fullmatch(segment) is None or len(segment) % 4 == 1:
        raise InvalidToken("not base64url")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("not base64url") from exc
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != segment:
        raise InvalidToken("not canonical base64url")  # stray bits in the last character
    return raw


def _header(token: str) -> dict[str, Any]:
    """The JOSE header of a strict JWS compact serialization (RFC 7515 §7.1): three
    canonical base64url segments, the last a 32-byte HMAC-SHA256; nothing before or after."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a signed JWT")
    header_raw, _payload, signature = (_b64decode(part) for part in parts)
    if len(signature) != _SIGNATURE_BYTES:
        raise InvalidToken("bad signature length")
    try:
        header = json.loads(header_raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("bad header") from exc
    if not isinstance(header, dict):
        raise InvalidToken("bad header")
    return header


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_token(token: str) -> TokenClaims:
    """Verify signature, algorithm, expiry and claim types; raise `InvalidToken` otherwise."""
    if len(token) > 4096:
        raise InvalidToken("too long")
    header = _header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not accepted")
    if header != HEADER:
        raise InvalidToken("header parameters not accepted")
    # lazy: python-jose loads on the first token, not with the public API
    from jose import JWTError, jwt

    try:
        claims = jwt.decode(
            token,
            jwt_secret(),
            algorithms=[ALGORITHM],
            options={f"require_{claim}": True for claim in ("sub", "iat", "exp", "jti")},
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if set(claims) != set(REQUIRED_CLAIMS):
        raise InvalidToken("claims not as issued")
    sub, role, version, jti = claims["sub"], claims["role"], claims["ver"], claims["jti"]
    if not (isinstance(sub, str) and sub.isdigit() and len(sub) < 19):
        raise InvalidToken("bad sub")
    if not isinstance(role, str) or not isinstance(jti, str):
        raise InvalidToken("bad claims")
    if not all(_is_int(claims[name]) for name in ("iat", "exp", "ver")) or version < 0:
        raise InvalidToken("bad claim types")
    return TokenClaims(
        user_id=int(sub),
        role=role,
        version=version,
        jti=jti,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
    )
