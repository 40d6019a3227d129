"""The ID token verifier and the provider's keys, with keys the test controls: tokens signed
here, the JWKS served by a small HTTP server of the test's own (discovery, rotation)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from courtside.auth import oidc_client
from courtside.auth.oidc_verify import IdTokenRejected, token_header, verify_id_token
from courtside.errors import ApiError
from tests.servers import free_port

ISSUER = "https://idp.example"
CLIENT = "courtside"
NONCE = "the-nonce-of-this-sign-in"
NOW = 1_800_000_000
LEEWAY = 60


@dataclass
class Key:
    kid: str
    private_pem: str
    jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        from jose import jwt

        return str(
            jwt.encode(
                claims, self.private_pem, algorithm="RS256", headers={"kid": self.kid, **header}
            )
        )


def make_key(kid: str) -> Key:
    """1024-bit RSA: python-rsa makes it in a fraction of a second (2048 takes seconds);
    the size changes nothing about what is verified."""
    import rsa

    public, private = rsa.newkeys(1024)
    public_jwk = {"kty": "RSA", "alg": "RS256", "n": _b64int(public.n), "e": _b64int(public.e)}
    return Key(kid, private.save_pkcs1().decode(), {**public_jwk, "kid": kid, "use": "sig"})


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def key() -> Key:
    return make_key("k1")


@pytest.fixture(scope="module")
def other_key() -> Key:
    return make_key("k2")


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "248289761001",
        "nonce": NONCE,
        "iat": NOW - 5,
        "exp": NOW + 300,
        "email": "jane@example.test",
        "email_verified": True,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def verify(token: str, key: Key, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "key": key.jwk,
        "issuer": ISSUER,
        "client_id": CLIENT,
        "nonce": NONCE,
        "now": NOW,
        "leeway": LEEWAY,
    }
    options.update(overrides)
    return verify_id_token(token, **options)


def test_a_good_token_verifies(key):
    verified = verify(key.sign(claims()), key)
    assert verified["sub"] == "248289761001"
    assert verified["email_verified"] is True
    assert token_header(key.sign(claims())).key_id == "k1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": "another-sign-in"}, "nonce does not match"),
        ({"nonce": None}, "nonce does not match"),
        ({"exp": NOW - LEEWAY}, "has expired"),
        ({"exp": None}, "no numeric exp"),
        ({"exp": "9999999999"}, "no numeric exp"),
        ({"iat": NOW + LEEWAY + 1}, "issued in the future"),
        ({"nbf": NOW + LEEWAY + 1}, "not valid yet"),
        ({"iss": "https://evil.example"}, "claims are wrong"),
        ({"aud": "another-client"}, "claims are wrong"),
        ({"aud": [CLIENT, "another-client"]}, r"another client \(azp\)"),
        ({"sub": None}, "no usable subject"),
        ({"sub": ""}, "no usable subject"),
    ],
)
def test_bad_claims_are_refused_with_the_reason(key, changes, reason):
    with pytest.raises(IdTokenRejected, match=reason):
        verify(key.sign(claims(**changes)), key)


def test_small_clock_skew_is_tolerated(key):
    verify(key.sign(claims(exp=NOW - LEEWAY + 1, iat=NOW + LEEWAY)), key)
    verify(key.sign(claims(aud=[CLIENT, "other"], azp=CLIENT)), key)


def test_a_token_signed_by_another_key_is_refused(key, other_key):
    forged = other_key.sign(claims(), kid="k1")
    with pytest.raises(IdTokenRejected, match="signature does not verify"):
        verify(forged, key)


def test_a_tampered_token_is_refused(key):
    header, _payload, signature = key.sign(claims()).split(".")
    other_payload = key.sign(claims(sub="admin")).split(".")[1]
    with pytest.raises(IdTokenRejected, match="signature does not verify"):
        verify(f"{header}.{other_payload}.{signature}", key)


def test_other_algorithms_are_refused_before_any_library_acts(key):
    from jose import jwt

    public_as_secret = jwt.encode(claims(), json.dumps(key.jwk), algorithm="HS256")
    with pytest.raises(IdTokenRejected, match="'HS256', not RS256"):
        verify(public_as_secret, key)
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    unsigned = header + "." + key.sign(claims()).split(".")[1] + "."
    with pytest.raises(IdTokenRejected, match="'none', not RS256"):
        verify(unsigned, key)
    with pytest.raises(IdTokenRejected, match="not a signed JWT"):
        verify("not-a-jwt", key)


# --- discovery and keys -------------------------------------------------------------------


@dataclass
class FakeProvider:
    """Discovery and JWKS over HTTP; `keys` can be rotated; `jwks_hits` counts fetches."""

    issuer: str = ""
    named_issuer: str | None = None
    keys: list[dict[str, Any]] = field(default_factory=list)
    jwks_hits: int = 0


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    state = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {
                    "issuer": state.named_issuer or state.issuer,
                    "authorization_endpoint": f"{state.issuer}/auth",
                    "token_endpoint": f"{state.issuer}/token",
                    "jwks_uri": f"{state.issuer}/jwks",
                }
            elif self.path == "/jwks":
                state.jwks_hits += 1
                body = {"keys": state.keys}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    state.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    oidc_client.forget_cache()
    yield state
    server.shutdown()
    server.server_close()
    oidc_client.forget_cache()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The key cache's clock, moved by the test."""
    now = [1000.0]
    monkeypatch.setattr(oidc_client, "_clock", lambda: now[0])
    return now


async def test_discovery_must_name_the_configured_issuer(fake_provider):
    metadata = await oidc_client.discover(fake_provider.issuer, seconds=5)
    assert metadata.jwks_uri == f"{fake_provider.issuer}/jwks"
    oidc_client.forget_cache()
    fake_provider.named_issuer = "https://someone-else.example"
    with pytest.raises(ApiError, match="another issuer"):
        await oidc_client.discover(fake_provider.issuer, seconds=5)


async def test_unknown_key_id_refetches_the_keys_once(fake_provider, clock, key, other_key):
    fake_provider.keys = [key.jwk]
    metadata = await oidc_client.discover(fake_provider.issuer, seconds=5)
    assert await oidc_client.signing_key(metadata, "k1", seconds=5) == key.jwk
    assert await oidc_client.signing_key(metadata, "k1", seconds=5) == key.jwk
    assert fake_provider.jwks_hits == 1  # cached
    fake_provider.keys = [key.jwk, other_key.jwk]  # the provider rotates in a new key
    clock[0] += oidc_client.JWKS_REFETCH_SECONDS
    assert await oidc_client.signing_key(metadata, "k2", seconds=5) == other_key.jwk
    assert fake_provider.jwks_hits == 2
    # Made-up key ids do not make us hammer the provider: one refetch per interval.
    assert await oidc_client.signing_key(metadata, "made-up", seconds=5) is None
    assert await oidc_client.signing_key(metadata, "made-up-too", seconds=5) is None
    assert fake_provider.jwks_hits == 2
    clock[0] += oidc_client.JWKS_REFETCH_SECONDS
    assert await oidc_client.signing_key(metadata, "made-up", seconds=5) is None
    assert fake_provider.jwks_hits == 3


async def test_a_provider_that_does_not_answer_is_a_503():
    oidc_client.forget_cache()
    with pytest.raises(ApiError) as raised:
        await oidc_client.discover(f"http://127.0.0.1:{free_port()}", seconds=2)
    assert raised.value.status_code == 503
    assert raised.value.headers == {"Retry-After": "30"}
