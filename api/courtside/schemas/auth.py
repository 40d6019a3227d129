"""Schemas of accounts, tokens and API keys.

User-facing schemas are separate from the model and never carry a password or a hash;
a test walks every OpenAPI response schema to keep it that way.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from courtside.schemas.common import Schema
from courtside.schemas.strict import JsonBool, JsonTrue

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{2,31}$"
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _normalise_username(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(USERNAME_PATTERN, value):
        raise ValueError(
            "3-32 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def _normalise_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not a valid e-mail address")
    return value


Username = Annotated[str, Field(max_length=64), AfterValidator(_normalise_username)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_normalise_email)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
RoleName = Literal["Admin", "Consumer"]
ScopeName = Literal["read", "write"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class SignupCreate(_Input):
    """A new Consumer account (self-service sign-up)."""

    username: Username
    email: Email
    password: Password


class UserCreate(SignupCreate):
    """A new account created by an Admin (either role)."""

    role: RoleName = "Consumer"


class UserUpdate(_Input):
    """What an Admin may change; omitted fields stay as they are."""

    role: RoleName | None = None
    is_active: JsonBool | None = None
    password_reset_required: JsonTrue | None = Field(
        default=None, description="Set to true to force a password reset (signs the user out)."
    )


class PasswordChange(_Input):
    """Change a password with the current one (also clears a forced reset)."""

    username: Username
    current_password: Password
    new_password: Password


class UserRead(Schema):
    id: int
    username: str
    email: str
    role: RoleName
    is_active: bool
    password_reset_required: bool
    created_at: datetime
    last_login_at: datetime | None


class MeRead(Schema):
    id: int
    username: str
    email: str
    role: RoleName
    is_admin: bool


class TokenRead(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the token expires.")


class ApiKeyCreate(_Input):
    name: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[\w .:-]+$")]
    scope: ScopeName


class ApiKeyRead(Schema):
    id: int
    name: str
    prefix: str
    scope: ScopeName
    created_at: datetime
    created_by_id: int | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The full key. Shown once; store it now.")
