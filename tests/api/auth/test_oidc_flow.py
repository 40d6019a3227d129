"""The signed flow cookie of an SSO sign-in (state, nonce, PKCE verifier, next)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

from courtside.auth import oidc_flow
from courtside.auth.oidc_flow import MAX_AGE_SECONDS, Flow, decode, encode, new_flow

NOW = 1_800_000_000


def test_pkce_challenge_is_the_unpadded_base64url_sha256_of_the_verifier():
    """(The real provider in test_sso.py requires S256 and accepts it.)"""
    flow = Flow("s", "n", "a-verifier-of-forty-three-characters-exactly", "/", NOW)
    digest = hashlib.sha256(flow.code_verifier.encode()).digest()
    assert flow.code_challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert len(flow.code_challenge) == 43


def test_a_new_flow_is_random_and_round_trips():
    first, second = new_flow("/record", now=NOW), new_flow("/record", now=NOW)
    assert len({first.state, second.state, first.nonce, second.nonce}) == 4
    assert 43 <= len(first.code_verifier) <= 128
    assert decode(encode(first), now=NOW + 1) == first


def test_an_altered_or_forged_cookie_is_no_cookie():
    value = encode(new_flow("/", now=NOW))
    body, signature = value.split(".")
    other_body = encode(replace(new_flow("/", now=NOW), next_path="/admin")).split(".")[0]
    assert decode(f"{other_body}.{signature}", now=NOW) is None
    # The first character holds six bits of the MAC's first byte: changing it changes the MAC
    # (writing "AA" over the last two failed once in 256 runs: when they already were "AA").
    tampered = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert decode(f"{body}.{tampered}", now=NOW) is None
    unsigned = base64.urlsafe_b64encode(b'{"state":"x"}').decode().rstrip("=")
    assert decode(f"{unsigned}.", now=NOW) is None
    for junk in (None, "", "no-dot", "a.b.c", "!!.??", "x" * 5000):
        assert decode(junk, now=NOW) is None


def test_it_lasts_ten_minutes_and_never_comes_from_the_future():
    value = encode(new_flow("/", now=NOW))
    assert decode(value, now=NOW + MAX_AGE_SECONDS) is not None
    assert decode(value, now=NOW + MAX_AGE_SECONDS + 1) is None
    assert decode(value, now=NOW - 1) is None


def test_cookie_name_is_host_prefixed_over_https():
    from starlette.requests import Request

    def request(scheme: str) -> Request:
        return Request(
            {"type": "http", "scheme": scheme, "path": "/", "headers": [], "server": ("h", 1)}
        )

    assert oidc_flow.cookie_name(request("http")) == "courtside_sso"
    assert oidc_flow.cookie_name(request("https")) == "__Host-courtside_sso"
