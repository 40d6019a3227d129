"""Access tokens: HS256 JWTs with `sub`, `role`, `iat`, `exp`, `jti`, `ver`.

Signed and verified here with `hmac` and `hashlib`, not python-jose: jose's `jwt` module
imports every key backend (ecdsa, rsa, pyasn1: ~68 modules, ~85 M instructions) although
these tokens are HS256 only, and a web service's first signed-in page paid for them at its
cold start. The tokens are byte for byte those python-jose wrote (the header
`{"alg":"HS256","typ":"JWT"}` with sorted keys, compact JSON claims, unpadded base64url;
`tests/api/auth/test_jwt.py` compares them), and verification keeps its rules: the
signature is checked before the claims are read, and a token is expired once
`exp < now` (whole seconds, no leeway). python-jose remains for the OIDC ID tokens
(`oidc_verify`, RS256 against a JWKS).

Only HS256 is accepted: the header must be exactly what `issue_token` writes, so
`alg: none`, RS/ES tokens (key confusion), HS384/HS512 and anything else are refused before
any signature is computed. `ver` is the user's token version: bumping it in the database
revokes every token issued before (checked on every request).

The compact serialization is checked strictly first (`_segments`): exactly three
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
import hashlib
import hmac
import json
import re
import secrets
import time
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
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER_SEGMENT}.{payload}"
    token = f"{signing_input}.{_b64encode(_mac(signing_input))}"
    return IssuedToken(
        token=token, jti=jti, expires_in=int(lifetime.total_seconds()), expires_at=expires
    )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_HEADER_SEGMENT = _b64encode(json.dumps(HEADER, separators=(",", ":"), sort_keys=True).encode())
"""python-jose's spelling of `HEADER`: sorted keys, no spaces."""


def _mac(signing_input: str) -> bytes:
    """HMAC-SHA256 of the JWS signing input under the configured secret (UTF-8, as jose)."""
    return hmac.new(jwt_secret().encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


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


def _segments(token: str) -> tuple[bytes, bytes, bytes]:
    """The decoded header, payload and signature of a strict JWS compact serialization
    (RFC 7515 §7.1): three canonical base64url segments, the last a 32-byte HMAC-SHA256;
    nothing before or after."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a signed JWT")
    header, payload, signature = (_b64decode(part) for part in parts)
    if len(signature) != _SIGNATURE_BYTES:
        raise InvalidToken("bad signature length")
    return header, payload, signature


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # JSONDecodeError is a ValueError; a header of 2,000 nested brackets (under the
        # length cap, read before any signature check) is a RecursionError
        raise InvalidToken(f"bad {what}") from exc
    if not isinstance(value, dict):
        raise InvalidToken(f"bad {what}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def decode_token(token: str) -> TokenClaims:
    """Verify signature, algorithm, expiry and claim types; raise `InvalidToken` otherwise."""
    if len(token) > 4096:
        raise InvalidToken("too long")
    header_raw, payload_raw, signature = _segments(token)
    header = _json_object(header_raw, "header")
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("algorithm not accepted")
    if header != HEADER:
        raise InvalidToken("header parameters not accepted")
    signing_input = token.rpartition(".")[0]
    if not hmac.compare_digest(_mac(signing_input), signature):
        raise InvalidToken("signature verification failed")
    claims = _json_object(payload_raw, "claims")
    if set(claims) != set(REQUIRED_CLAIMS):
        raise InvalidToken("claims not as issued")
    sub, role, version, jti = claims["sub"], claims["role"], claims["ver"], claims["jti"]
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) < 19):
        raise InvalidToken("bad sub")
    if not isinstance(role, str) or not isinstance(jti, str):
        raise InvalidToken("bad claims")
    if not all(_is_int(claims[name]) for name in ("iat", "exp", "ver")) or version < 0:
        raise InvalidToken("bad claim types")
    if claims["exp"] < int(time.time()):  # python-jose's rule: `exp < now`, whole seconds
        raise InvalidToken("expired")
    return TokenClaims(
        user_id=int(sub),
        role=role,
        version=version,
        jti=jti,
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
    )
