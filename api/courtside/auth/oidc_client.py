"""Talking to the OpenID Connect provider: discovery, its signing keys, the code exchange.

- Discovery: `<issuer>/.well-known/openid-configuration`, whose `issuer` must be the
  configured one exactly (OpenID Connect Discovery 1.0, 4.3); cached per process for an hour.
- Keys: the JWKS at `jwks_uri`, cached; a `kid` not in the cache fetches the set again (the
  provider rotated its keys), at most once per `JWKS_REFETCH_SECONDS`, so tokens naming
  made-up key ids cannot make us hammer the provider.
- The code exchange: `POST token_endpoint` with the PKCE verifier, the client authenticated
  with HTTP Basic (`client_secret_basic`, every provider's default).

The calls use the standard library's `urllib` in a worker thread: a few requests per sign-in
(most answered from the caches) do not justify an HTTP client in the Lambda image.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from courtside.errors import ApiError

DISCOVERY_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 3600
JWKS_REFETCH_SECONDS = 30
MAX_RESPONSE_BYTES = 1 << 20


class ProviderError(ApiError):
    """The provider answered, but not as OpenID Connect says (400 on the page: start again)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "sso_failed", message)


def provider_unavailable() -> ApiError:
    return ApiError(
        503,
        "sso_unavailable",
        "The identity provider did not answer. Try again in a minute, or sign in with your "
        "password.",
        headers={"Retry-After": "30"},
    )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass
class _KeySet:
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetched_at: float = float("-inf")


def _clock() -> float:
    """Seconds on a monotonic clock (a function of its own: tests move it)."""
    return time.monotonic()


_discovered: dict[str, tuple[float, ProviderMetadata]] = {}
_key_sets: dict[str, _KeySet] = {}


def forget_cache() -> None:
    """Drop the cached metadata and keys (tests; a provider moved)."""
    _discovered.clear()
    _key_sets.clear()


def _request_sync(
    url: str, data: bytes | None, headers: dict[str, str], seconds: float
) -> tuple[int, bytes]:
    # lazy: urllib.request (http.client, email, ssl) costs ~60 ms, which a cold start
    # that serves no sign-in should not pay.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 (http(s) only: the settings and `_url`)
        url, data=data, headers={"Accept": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=seconds) as response:  # noqa: S310
            return int(response.status), response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(MAX_RESPONSE_BYTES + 1)


async def _call(
    url: str, seconds: float, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """(status, JSON object) of one call (a POST when `data` is given); 503 when the
    provider cannot be reached."""
    try:
        status, body = await asyncio.to_thread(_request_sync, url, data, headers or {}, seconds)
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise provider_unavailable() from exc
    if status >= 500:
        raise provider_unavailable()
    if len(body) > MAX_RESPONSE_BYTES:
        raise ProviderError("The identity provider sent an oversized answer.")
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ProviderError("The identity provider sent an answer that is not JSON.")
    return status, document


async def discover(issuer: str, *, seconds: float) -> ProviderMetadata:
    cached = _discovered.get(issuer)
    if cached is not None and _clock() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    status, document = await _call(url, seconds)
    if status != 200:
        raise ProviderError(f"The identity provider's discovery document failed ({status}).")
    if document.get("issuer") != issuer:
        raise ProviderError("The identity provider names another issuer than the configured one.")
    try:
        metadata = ProviderMetadata(
            issuer=issuer,
            **{
                name: _url(document[name])
                for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            },
        )
    except (KeyError, ValueError) as exc:
        raise ProviderError("The identity provider's discovery document is incomplete.") from exc
    _discovered[issuer] = (_clock(), metadata)
    return metadata


def _url(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValueError("not an http(s) URL")
    return value


async def signing_key(
    metadata: ProviderMetadata, key_id: str | None, *, seconds: float
) -> dict[str, Any] | None:
    """The JWK that `key_id` names (None: the only signing key); refetched once on a miss."""
    key_set = _key_sets.setdefault(metadata.jwks_uri, _KeySet())
    age = _clock() - key_set.fetched_at
    found = _pick(key_set.keys, key_id) if age < JWKS_TTL_SECONDS else None
    if found is None and age >= JWKS_REFETCH_SECONDS:
        status, document = await _call(metadata.jwks_uri, seconds)
        keys = document.get("keys")
        if status != 200 or not isinstance(keys, list):
            raise ProviderError("The identity provider's keys (JWKS) could not be read.")
        key_set.keys = [key for key in keys if isinstance(key, dict)]
        key_set.fetched_at = _clock()
        found = _pick(key_set.keys, key_id)
    return found


def _pick(keys: list[dict[str, Any]], key_id: str | None) -> dict[str, Any] | None:
    usable = [k for k in keys if k.get("kty") == "RSA" and k.get("use", "sig") == "sig"]
    if key_id is None:
        return usable[0] if len(usable) == 1 else None
    return next((k for k in usable if k.get("kid") == key_id), None)


@dataclass(frozen=True)
class TokenResponse:
    id_token: str
    access_token: str | None


async def exchange_code(
    metadata: ProviderMetadata,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    seconds: float,
) -> TokenResponse:
    """Trade the authorization code for tokens (RFC 6749 4.1.3, RFC 7636 4.5)."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
    ).encode()
    # RFC 6749 2.3.1: the id and secret are form-encoded before they are joined.
    pair = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}"
    basic = base64.b64encode(pair.encode()).decode()
    status, document = await _call(
        metadata.token_endpoint,
        seconds,
        data=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        },
    )
    if status != 200:
        reason = document.get("error_description") or document.get("error") or status
        raise ProviderError(f"The identity provider refused the sign-in code ({reason}).")
    id_token = document.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ProviderError("The identity provider sent no ID token (is the openid scope on?).")
    access_token = document.get("access_token")
    return TokenResponse(id_token, access_token if isinstance(access_token, str) else None)
