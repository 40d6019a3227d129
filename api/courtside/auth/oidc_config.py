"""SSO configuration: the start-up check, the client secret, who is an Admin, and whether
Admins may still use a password.

Outside `local` the app refuses to start with SSO half-configured: an issuer without a
client id, no client secret (neither `OIDC_CLIENT_SECRET` nor `OIDC_CLIENT_SECRET_ARN`), or
an issuer over plain http. There is no default secret anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from courtside.auth.config import InsecureConfiguration
from courtside.errors import ApiError
from courtside.settings import AppSettings, get_app_settings
from courtside.sso_settings import SsoSettings, get_sso_settings

if TYPE_CHECKING:
    from courtside.models import User

CALLBACK_PATH = "/login/sso/callback"


def check_sso_settings(app: AppSettings, sso: SsoSettings) -> None:
    """Raise `InsecureConfiguration` for an SSO setup that cannot work safely."""
    if not sso.oidc_issuer:
        return
    problems = []
    if not sso.oidc_client_id:
        problems.append("OIDC_CLIENT_ID is missing")
    if not (sso.oidc_client_secret or sso.oidc_client_secret_arn):
        problems.append("OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_ARN) is missing")
    if not app.is_local and not sso.oidc_issuer.startswith("https://"):
        problems.append("OIDC_ISSUER must be https:// outside ENVIRONMENT=local")
    if problems:
        raise InsecureConfiguration("SSO is configured (OIDC_ISSUER) but " + "; ".join(problems))


def client_secret(sso: SsoSettings) -> str:
    """The client secret: from Secrets Manager when `OIDC_CLIENT_SECRET_ARN` is set (cached
    with the other secrets' TTL), else from the environment."""
    if sso.oidc_client_secret_arn:
        # lazy: Secrets Manager's client is loaded only where the secret lives there (AWS)
        from courtside.aws_secrets import (  # type: ignore[import-not-found,unused-ignore]
            secret_string,
        )

        return str(secret_string(sso.oidc_client_secret_arn))
    if sso.oidc_client_secret is None:
        raise InsecureConfiguration("OIDC_CLIENT_SECRET is missing")
    return sso.oidc_client_secret.get_secret_value()


def redirect_uri(request: HTTPConnection) -> str:
    """Where the provider sends the browser back: under `PUBLIC_BASE_URL` (never the request's
    Host header, which anyone can set), or, in a local run only, this request's own base."""
    settings = get_app_settings()
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + CALLBACK_PATH
    if not settings.is_local:
        raise ApiError(503, "not_configured", "SSO needs PUBLIC_BASE_URL to be set.")
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def claims_make_admin(claims: dict[str, Any], sso: SsoSettings) -> bool:
    """`OIDC_ADMIN_CLAIM` holds `OIDC_ADMIN_VALUE` (a string equal to it, or a list of
    groups containing it), or, without a value, is exactly `true`."""
    if not sso.oidc_admin_claim:
        return False
    value = claims.get(sso.oidc_admin_claim)
    wanted = sso.oidc_admin_value
    if wanted is None:
        return value is True
    if isinstance(value, list):
        return wanted in value
    return isinstance(value, str) and value == wanted


def refuse_admin_password(user: User) -> None:
    """Admins sign in through the provider only, when SSO is on and
    `OIDC_ADMIN_PASSWORD_LOGIN=false`. Called after the password was found right, so it
    tells nothing to someone who does not know it."""
    # lazy: the account models load on a password sign-in, not on a cold public request
    from courtside.models import Role

    sso = get_sso_settings()
    if user.role == Role.ADMIN.value and sso.configured and not sso.oidc_admin_password_login:
        raise ApiError(
            403,
            "sso_required",
            f"Administrators sign in with {sso.oidc_button_label}, not with a password.",
        )
