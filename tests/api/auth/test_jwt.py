"""Token contents, expiry and the algorithm allow-list."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from jose import jwt

from courtside.auth.config import jwt_secret
from courtside.auth.tokens import InvalidToken, decode_token, issue_token


def _unverified(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return cast(
        dict[str, Any], json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    )


def test_claims_and_default_expiry():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    issued = issue_token(user_id=42, role="Admin", token_version=3, now=now)
    claims = _unverified(issued.token)
    assert set(claims) == {"sub", "role", "iat", "exp", "jti", "ver"}
    assert claims["sub"] == "42"
    assert claims["role"] == "Admin"
    assert claims["ver"] == 3
    assert claims["iat"] == int(now.timestamp())
    assert claims["exp"] - claims["iat"] == 30 * 60
    assert issued.expires_in == 30 * 60
    header = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))
    assert header["alg"] == "HS256"


def test_unique_jti():
    first = issue_token(user_id=1, role="Consumer", token_version=0)
    second = issue_token(user_id=1, role="Consumer", token_version=0)
    assert first.jti != second.jti


def test_expiry_is_configurable(settings_env):
    settings_env(ACCESS_TOKEN_MINUTES="5")
    issued = issue_token(user_id=1, role="Consumer", token_version=0)
    claims = _unverified(issued.token)
    assert claims["exp"] - claims["iat"] == 300
    assert issued.expires_in == 300


def test_round_trip():
    issued = issue_token(user_id=7, role="Consumer", token_version=2)
    claims = decode_token(issued.token)
    assert (claims.user_id, claims.role, claims.version, claims.jti) == (
        7,
        "Consumer",
        2,
        issued.jti,
    )


def test_expired_token_rejected():
    issued = issue_token(
        user_id=7, role="Consumer", token_version=0, now=datetime.now(UTC) - timedelta(minutes=31)
    )
    with pytest.raises(InvalidToken):
        decode_token(issued.token)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "1", "role": "Admin", "iat": now, "exp": now + 60, "jti": "j", "ver": 0}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS512", "HS384", "RS256", "ES256"])
def test_other_algorithms_rejected(alg):
    real = jwt.encode(_claims(), jwt_secret(), algorithm="HS256")
    _head, payload, signature = real.split(".")
    forged = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{payload}.{signature}"
    with pytest.raises(InvalidToken):
        decode_token(forged)
    with pytest.raises(InvalidToken):
        decode_token(f"{_b64({'alg': alg, 'typ': 'JWT'})}.{payload}.")


def test_hs512_signed_with_the_real_secret_is_still_rejected():
    token = jwt.encode(_claims(), jwt_secret(), algorithm="HS512")
    with pytest.raises(InvalidToken):
        decode_token(token)


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": None},
        {"exp": None},
        {"iat": None},
        {"jti": None},
        {"ver": None},
        {"role": None},
        {"sub": "admin"},
        {"sub": 1},
        {"ver": "0"},
        {"ver": -1},
        {"ver": True},
    ],
)
def test_missing_or_malformed_claims_rejected(overrides):
    token = jwt.encode(_claims(**overrides), jwt_secret(), algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(token)


@pytest.mark.parametrize("garbage", ["", "x", "a.b", "a.b.c", "..", "a" * 5000, "e30.e30.e30"])
def test_garbage_rejected(garbage):
    with pytest.raises(InvalidToken):
        decode_token(garbage)


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _stray_bits_flipped(segment: str) -> str:
    """The same bytes in a non-canonical spelling: the last character of a 32-byte
    signature carries 2 unused bits, and its lowest one is flipped."""
    last = _B64URL.index(segment[-1])
    return segment[:-1] + _B64URL[last ^ 1]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "!!~~",
        lambda t: t + "~",
        lambda t: t + "=",
        lambda t: t + ".",
        lambda t: t + ".e30",
        lambda t: t + " x",
        lambda t: t + "\n",
        lambda t: t.replace(".", "!.", 1),
        lambda t: "!" + t,
        lambda t: t[:-1] + "+",
        lambda t: t[:-1] + "/",
        lambda t: t + "AAAA",
        lambda t: t[:-4],
        lambda t: _stray_bits_flipped(t),
    ],
    ids=[
        "bang-tilde",
        "tilde",
        "padding",
        "fourth-dot",
        "fourth-segment",
        "space",
        "newline",
        "junk-in-header",
        "leading-junk",
        "plus",
        "slash",
        "longer-signature",
        "shorter-signature",
        "non-canonical-signature",
    ],
)
def test_only_the_strict_compact_serialization_is_accepted(mangle):
    """Python's base64 decoder drops characters outside the alphabet and ignores the
    unused bits of the last character, so each of these would otherwise verify."""
    real = issue_token(user_id=7, role="Consumer", token_version=0).token
    decode_token(real)
    mangled = mangle(real)
    assert mangled != real
    with pytest.raises(InvalidToken):
        decode_token(mangled)


async def test_a_token_with_trailing_characters_is_401_invalid_token(client, session):
    from .helpers import make_user, token

    user = await make_user(session)
    real = token(user)
    assert (
        await client.get("/v1/me", headers={"Authorization": f"Bearer {real}"})
    ).status_code == 200
    for mangled in (f"{real}!!~~", _stray_bits_flipped(real)):
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {mangled}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    "headers",
    [
        {"kid": "../../etc/passwd"},
        {"jku": "https://attacker.example/jwks.json"},
        {"x5u": "https://attacker.example/cert.pem"},
        {"jwk": {"kty": "oct", "k": "AAAA"}},
        {"cty": "JWT"},
        {"crit": ["exp"]},
        {"typ": "at+jwt"},
    ],
    ids=["kid", "jku", "x5u", "jwk", "cty", "crit", "typ"],
)
def test_header_parameters_the_issuer_never_writes_are_refused(headers):
    """Validly signed with the real secret, but with a header `issue_token` never writes."""
    token = jwt.encode(_claims(), jwt_secret(), algorithm="HS256", headers=headers)
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")) != {
        "alg": "HS256",
        "typ": "JWT",
    }
    with pytest.raises(InvalidToken):
        decode_token(token)


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": str(int(datetime.now(UTC).timestamp()) + 600)},
        {"iat": str(int(datetime.now(UTC).timestamp()))},
        {"exp": float(int(datetime.now(UTC).timestamp()) + 600)},
        {"exp": True},
        {"role": ["Admin"]},
        {"extra": "claim"},
    ],
    ids=["exp-string", "iat-string", "exp-float", "exp-bool", "role-list", "extra-claim"],
)
def test_claim_types_the_issuer_never_writes_are_refused(overrides):
    token = jwt.encode(_claims(**overrides), jwt_secret(), algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(token)


def test_what_the_issuer_writes_is_still_accepted():
    issued = issue_token(user_id=3, role="Admin", token_version=1)
    header = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert decode_token(issued.token).user_id == 3


def test_tokens_are_byte_identical_to_python_joses():
    """The hand-written HS256 writes what python-jose wrote: tokens issued before the switch
    stay valid, and the format is unchanged for every client."""
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    issued = issue_token(user_id=42, role="Admin", token_version=3, now=now)
    claims = _unverified(issued.token)
    assert issued.token == jwt.encode(claims, jwt_secret(), algorithm="HS256")


def test_a_token_python_jose_signed_is_accepted():
    token = jwt.encode(_claims(sub="9", ver=4), jwt_secret(), algorithm="HS256")
    claims = decode_token(token)
    assert (claims.user_id, claims.version) == (9, 4)


def test_signed_with_another_secret_rejected():
    token = jwt.encode(_claims(), "another-secret-that-is-long-enough-1234", algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(token)


def test_claims_changed_under_the_real_signature_rejected():
    """The signature covers the claims: a promoted role under the real token's MAC fails."""
    real = jwt.encode(_claims(role="Consumer"), jwt_secret(), algorithm="HS256")
    head, _payload, signature = real.split(".")
    forged = f"{head}.{_b64(_claims(role='Admin'))}.{signature}"
    with pytest.raises(InvalidToken):
        decode_token(forged)


def test_hs256_header_with_the_secret_as_an_rs256_key_is_rejected():
    """Key confusion the other way round: an RS256 header whose "signature" is the HMAC of
    the signing input under the secret (what a verifier trusting `alg` would accept)."""
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(_claims())}"
    mac = hmac.new(jwt_secret().encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    with pytest.raises(InvalidToken):
        decode_token(token)


def test_expiry_is_exp_before_now_to_the_second():
    """python-jose's rule: valid while `exp >= now` (whole seconds), no leeway."""
    now = int(datetime.now(UTC).timestamp())
    assert decode_token(jwt.encode(_claims(exp=now + 2), jwt_secret(), algorithm="HS256"))
    for exp in (now - 1, now - 3600, 0):
        token = jwt.encode(_claims(exp=exp), jwt_secret(), algorithm="HS256")
        with pytest.raises(InvalidToken):
            decode_token(token)


@pytest.mark.parametrize("payload", ["[]", '"x"', "1", "null", "{", "\\udcff"])
def test_a_signed_payload_that_is_not_a_json_object_is_rejected(payload):
    import hashlib
    import hmac

    head = _b64({"alg": "HS256", "typ": "JWT"})
    body = base64.urlsafe_b64encode(payload.encode("utf-8", "surrogatepass")).decode().rstrip("=")
    signing_input = f"{head}.{body}"
    mac = hmac.new(jwt_secret().encode(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    with pytest.raises(InvalidToken):
        decode_token(token)


def test_a_deeply_nested_header_is_refused_before_any_signature():
    """The header is parsed before the signature is checked: 2,000 nested brackets (under
    the length cap) must be an invalid token, not a RecursionError (a 500), without the secret."""
    nested = base64.urlsafe_b64encode(b"[" * 2000).decode().rstrip("=")
    token = f"{nested}.{_b64({})}.{base64.urlsafe_b64encode(b'x' * 32).decode().rstrip('=')}"
    assert len(token) < 4096
    with pytest.raises(InvalidToken):
        decode_token(token)


def test_a_sub_of_other_digits_than_ascii_is_refused():
    """`str.isdigit` accepts '²' and Arabic-Indic digits; `int('²')` would raise (a 500)."""
    for sub in ("²", "١٢"):
        token = jwt.encode(_claims(sub=sub), jwt_secret(), algorithm="HS256")
        with pytest.raises(InvalidToken):
            decode_token(token)
