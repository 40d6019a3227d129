"""Sign-in with an OpenID Connect provider (`OIDC_*`): off unless `OIDC_ISSUER` is set.

A module of its own (not in `courtside.settings`) so that a deployment without SSO never
builds it; `courtside.auth.oidc_config` checks it at start-up (no client secret outside
`local` except from the secret store or the environment, never a default).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from courtside.settings_source import EnvSettings


class SsoSettings(EnvSettings):
    """Sign-in with an OpenID Connect provider (off unless OIDC_ISSUER is set)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", defer_build=True
    )

    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the provider (discovery at /.well-known/openid-configuration); "
        "unset: no SSO.",
    )
    oidc_client_id: str | None = Field(default=None, description="This app's client id there.")
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The client secret (no default; OIDC_CLIENT_SECRET_ARN on AWS)."
    )
    oidc_client_secret_arn: str | None = Field(
        default=None, description="Secrets Manager ARN of the client secret (Lambda)."
    )
    oidc_scopes: str = Field(
        default="openid email profile", description="Scopes asked for (openid is required)."
    )
    oidc_admin_claim: str | None = Field(
        default=None,
        description="ID token claim that makes an Admin (e.g. groups, cognito:groups); "
        "unset: none.",
    )
    oidc_admin_value: str | None = Field(
        default=None,
        description="The group (or value) in OIDC_ADMIN_CLAIM that makes an Admin; unset: the "
        "claim being true.",
    )
    oidc_button_label: str = Field(
        default="your organisation",
        max_length=64,
        description='The login page button reads "Sign in with <label>".',
    )
    oidc_admin_password_login: bool = Field(
        default=True,
        description="Admins may also sign in with a password; false: Admins only through SSO.",
    )
    oidc_clock_leeway_seconds: int = Field(
        default=60, ge=0, le=300, description="Clock skew allowed on the ID token's exp and iat."
    )
    oidc_http_timeout_seconds: float = Field(
        default=5.0, gt=0, le=30, description="Timeout of each call to the provider."
    )

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        """Compared byte for byte with the ID token's `iss`: no trailing slash is added or
        dropped here, it must be written as the provider writes it."""
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("OIDC_ISSUER must be an http(s) URL")
        return value

    @property
    def configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def issuer(self) -> str:
        """`oidc_issuer` of a configured provider (`configured` first)."""
        if not self.oidc_issuer:
            raise RuntimeError("OIDC_ISSUER is not set")
        return self.oidc_issuer

    @property
    def client_id(self) -> str:
        if not self.oidc_client_id:
            raise RuntimeError("OIDC_CLIENT_ID is not set")
        return self.oidc_client_id


@lru_cache
def get_sso_settings() -> SsoSettings:
    return SsoSettings()


def sso_button_label() -> str | None:
    """The login page's "Sign in with …" label; None while SSO is not configured."""
    sso = get_sso_settings()
    return sso.oidc_button_label if sso.configured else None
