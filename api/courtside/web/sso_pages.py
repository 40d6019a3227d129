"""Sign-in with an OpenID Connect provider: authorization code + PKCE (S256).

- `GET /login/sso?next=…` starts a sign-in: a fresh state, nonce and PKCE verifier in the
  signed flow cookie (`auth.oidc_flow`), then a redirect to the provider.
- `GET /login/sso/callback` is where the provider sends the browser back: the state must be
  the cookie's, the code is exchanged (with the verifier), the ID token verified against the
  provider's keys (`auth.oidc_verify`), the account found, linked or made
  (`services.sso_accounts`), and the app's own session issued exactly as after a password
  login (`auth_pages.signed_in_redirect`): from there every route works unchanged.

Both answer 404 while SSO is not configured. A refusal is a 4xx page that says why and
links back to the sign-in page; a provider that does not answer is a 503.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from courtside.auth import oidc_client, oidc_flow
from courtside.auth.oidc_config import claims_make_admin, client_secret, redirect_uri
from courtside.auth.oidc_verify import IdTokenRejected, token_header, verify_id_token
from courtside.errors import REFUSALS, ApiError, headers_of, status_of
from courtside.services.sso_accounts import Identity, sign_in
from courtside.sso_settings import SsoSettings, get_sso_settings
from courtside.unit_of_work import UnitOfWorkDep
from courtside.web.auth_pages import signed_in_redirect
from courtside.web.session import safe_next
from courtside.web.templating import render

router = APIRouter(include_in_schema=False)

Param = Annotated[str | None, Query(max_length=4096)]


def _settings() -> SsoSettings:
    sso = get_sso_settings()
    if not sso.configured:
        raise ApiError(404, "not_found", "Sign-in with an identity provider is not set up here.")
    return sso


def _refusal(request: Request, status_code: int, message: str, **headers: str) -> Response:
    response = render(
        request,
        "sso_error.html",
        {"message": message},
        status_code=status_code,
        headers=headers or None,
    )
    oidc_flow.forget(response, request)
    return response


@router.get("/login/sso")
async def start(
    request: Request, next: Annotated[str | None, Query(max_length=2048)] = None
) -> Response:
    sso = _settings()
    metadata = await oidc_client.discover(sso.issuer, seconds=sso.oidc_http_timeout_seconds)
    flow = oidc_flow.new_flow(safe_next(next))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": sso.client_id,
            "redirect_uri": redirect_uri(request),
            "scope": sso.oidc_scopes,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": flow.code_challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    response = RedirectResponse(f"{metadata.authorization_endpoint}{separator}{query}", 303)
    oidc_flow.remember(response, request, flow)
    return response


@router.get("/login/sso/callback")
async def callback(
    request: Request,
    work: UnitOfWorkDep,
    code: Param = None,
    state: Param = None,
    iss: Param = None,
    error: Param = None,
    error_description: Param = None,
) -> Response:
    sso = _settings()
    flow = oidc_flow.presented(request)
    if flow is None:
        return _refusal(
            request,
            400,
            "This sign-in has expired or was started in another browser. Start again.",
        )
    if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        return _refusal(
            request,
            400,
            "The answer from the identity provider does not belong to the sign-in this "
            "browser started (state mismatch). Start again.",
        )
    if error:
        reason = "you cancelled it" if error == "access_denied" else (error_description or error)
        return _refusal(request, 400, f"The identity provider did not sign you in: {reason}.")
    if iss is not None and iss != sso.issuer:  # RFC 9207: a mix-up of providers
        return _refusal(request, 400, "The answer came from another identity provider.")
    if not code:
        return _refusal(request, 400, "The identity provider sent no sign-in code.")
    try:
        identity = await _identity(request, sso, flow, code)
        user = await sign_in(work.session, identity)
    except IdTokenRejected as exc:
        await work.rollback()
        return _refusal(request, 400, f"The sign-in was refused: {exc}.")
    except REFUSALS as exc:
        await work.rollback()
        return _refusal(request, status_of(exc), exc.message, **(headers_of(exc) or {}))
    response = signed_in_redirect(request, user, flow.next_path)
    oidc_flow.forget(response, request)
    return response


async def _identity(
    request: Request, sso: SsoSettings, flow: oidc_flow.Flow, code: str
) -> Identity:
    """Exchange the code and verify the ID token it brings: who the provider says this is."""
    seconds = sso.oidc_http_timeout_seconds
    metadata = await oidc_client.discover(sso.issuer, seconds=seconds)
    tokens = await oidc_client.exchange_code(
        metadata,
        code=code,
        code_verifier=flow.code_verifier,
        redirect_uri=redirect_uri(request),
        client_id=sso.client_id,
        client_secret=client_secret(sso),
        seconds=seconds,
    )
    header = token_header(tokens.id_token)
    key = await oidc_client.signing_key(metadata, header.key_id, seconds=seconds)
    if key is None:
        raise IdTokenRejected("the ID token is signed by a key the provider does not publish")
    claims = verify_id_token(
        tokens.id_token,
        key=key,
        issuer=sso.issuer,
        client_id=sso.client_id,
        nonce=flow.nonce,
        now=int(time.time()),
        leeway=sso.oidc_clock_leeway_seconds,
        access_token=tokens.access_token,
    )
    email = claims.get("email")
    username = claims.get("preferred_username")
    return Identity(
        issuer=sso.issuer,
        subject=claims["sub"],
        email=email if isinstance(email, str) and "@" in email else None,
        email_verified=claims.get("email_verified") is True,
        preferred_username=username if isinstance(username, str) else None,
        is_admin=claims_make_admin(claims, sso),
    )
