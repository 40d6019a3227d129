"""Machine credentials (API keys) and the links e-mailed to people (password reset, a new
address): a module of their own, apart from `courtside.models.accounts`, so that a cold
signed-in page, which reads neither, does not map them (~20 M instructions of a cold web
`GET /`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from courtside.models.accounts import User  # noqa: F401  (the table the foreign keys name)
from courtside.models.base import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """A machine credential. The secret is shown once; only its SHA-256 is stored.

    A key reads `cs_<prefix>_<secret>`; the prefix is public and looks the row up, the
    secret's hash is compared in constant time. (The secret is 256 random bits, so a fast
    hash is right here; passwords get Argon2id.)
    """

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("rest_api_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AccountTokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a secret)
    EMAIL_CHANGE = "email_change"


class AccountToken(Base):
    """A link sent by e-mail: reset a password, or confirm a new address.

    Only the SHA-256 of the link's secret is stored (a leaked table opens no account); a
    token is used at most once (`used_at`, set by a conditional update) and not after
    `expires_at`.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('password_reset', 'email_change')", name="purpose"),
        CheckConstraint(
            "(purpose = 'email_change') = (new_email IS NOT NULL)", name="email_change_address"
        ),
        Index("ix_account_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254))
    """The address to switch to (e-mail change only)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
