"""The ``sso`` object of an environment in cdk.json: which OpenID Connect provider the app's
sign-in uses (infra/sso.py builds it). No CDK import: the config loads without jsii."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SsoConfig(BaseModel):
    """The ``sso`` object of an environment in cdk.json (absent: no SSO)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    provider: Literal["cognito", "issuer"]
    button_label: Annotated[str, Field(min_length=1, max_length=64)]
    admin_password_login: bool = True
    cognito_domain_prefix: Annotated[
        str, Field(pattern=r"^$|^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    ] = ""
    admin_group: Annotated[str, Field(max_length=128)] = ""
    issuer_url: Annotated[str, Field(pattern=r"^$|^https://[^\s]+$")] = ""
    client_id: Annotated[str, Field(max_length=255)] = ""
    admin_claim: Annotated[str, Field(max_length=128)] = ""

    @model_validator(mode="after")
    def _complete(self) -> SsoConfig:
        if self.provider == "cognito":
            if not self.cognito_domain_prefix:
                raise ValueError("a cognito provider needs cognito_domain_prefix")
            if self.issuer_url or self.client_id or self.admin_claim:
                raise ValueError("issuer_url, client_id and admin_claim are for provider issuer")
        else:
            if not (self.issuer_url and self.client_id):
                raise ValueError("an issuer provider needs issuer_url and client_id")
            if self.cognito_domain_prefix:
                raise ValueError("cognito_domain_prefix is for provider cognito")
            if bool(self.admin_claim) != bool(self.admin_group):
                raise ValueError("admin_claim and admin_group go together (or neither)")
        return self
