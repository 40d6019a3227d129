"""Verify an OpenID Connect ID token (OpenID Connect Core 1.0, 3.1.3.7).

The token must be a JWS signed with RS256 by a key of the provider's JWKS (chosen by `kid`),
issued by the configured issuer (`iss` byte for byte) for this client (`aud`, and `azp` when
there are several audiences), not expired and not issued in the future (`exp`, `iat`, with a
small leeway for clock skew), for this sign-in (`nonce`, compared in constant time), with a
subject. python-jose checks the signature, `iss`, `aud` and `at_hash`; the times are checked
here against an explicit `now`, so tests control the clock.

Only RS256: the algorithm every provider supports and OpenID Connect's default. The header
is read (unverified) only to pick the key and to refuse any other algorithm before a library
acts on it: `none`, HS256 with the public key as secret (key confusion), EC (python-jose's
`ecdsa` backend, see security.md).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError

ALGORITHM = "RS256"


class IdTokenRejected(Exception):
    """The ID token failed a check; the message says which, for the person signing in."""


@dataclass(frozen=True)
class TokenHeader:
    algorithm: str
    key_id: str | None


def token_header(token: str) -> TokenHeader:
    """The unverified header: which key signed it. Refuses any algorithm but RS256."""
    try:
        header = jwt.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError) as exc:
        raise IdTokenRejected("the ID token is not a signed JWT") from exc
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise IdTokenRejected(f"the ID token is signed with {algorithm!r}, not {ALGORITHM}")
    key_id = header.get("kid")
    if key_id is not None and not isinstance(key_id, str):
        raise IdTokenRejected("the ID token's key id is not a string")
    return TokenHeader(algorithm=algorithm, key_id=key_id)


def verify_id_token(
    token: str,
    *,
    key: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    now: int,
    leeway: int,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The claims of a valid ID token signed by `key` (a JWK); `IdTokenRejected` otherwise."""
    token_header(token)
    options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=client_id,
            issuer=issuer,
            access_token=access_token,
            options=options,
        )
    except JWTClaimsError as exc:
        raise IdTokenRejected(f"the ID token's claims are wrong ({exc})") from exc
    except (ExpiredSignatureError, JOSEError) as exc:
        raise IdTokenRejected("the ID token's signature does not verify") from exc
    _check_times(claims, now=now, leeway=leeway)
    _check_audience(claims, client_id)
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise IdTokenRejected("the ID token's nonce does not match this sign-in")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise IdTokenRejected("the ID token has no usable subject (sub)")
    return claims


def _number(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IdTokenRejected(f"the ID token has no numeric {name}")
    return int(value)


def _check_times(claims: dict[str, Any], *, now: int, leeway: int) -> None:
    if _number(claims, "exp") + leeway <= now:
        raise IdTokenRejected("the ID token has expired")
    if _number(claims, "iat") - leeway > now:
        raise IdTokenRejected("the ID token was issued in the future (check the clocks)")
    if "nbf" in claims and _number(claims, "nbf") - leeway > now:
        raise IdTokenRejected("the ID token is not valid yet")


def _check_audience(claims: dict[str, Any], client_id: str) -> None:
    """python-jose accepts our id anywhere in a list of audiences; with several, the token
    must also name us as the party it was issued to (`azp`)."""
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise IdTokenRejected("the ID token was issued to another client (azp)")
