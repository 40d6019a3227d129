"""People (users with a role) and machines (API keys with a scope)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from courtside.models.base import Base, UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "Admin"
    CONSUMER = "Consumer"


class ApiScope(StrEnum):
    READ = "read"
    WRITE = "write"
    """`write` implies `read`."""


class User(Base):
    __tablename__ = "rest_api_users"
    __table_args__ = (
        CheckConstraint("role IN ('Admin', 'Consumer')", name="role"),
        CheckConstraint("token_version >= 0", name="token_version"),
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index("uq_rest_api_users_display_name", "display_name", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    """A contact address, not an identity: two accounts may share one (migration 0011)."""
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a link we e-mailed to `email` was used (a reset, an address change) or an identity
    provider vouched for it; None: typed, never proven. Only a confirmed address links an
    SSO sign-in to the account (`services.sso_accounts`)."""
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.CONSUMER.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped to revoke every token issued before ("log out everywhere", demotion, reset)."""
    password_reset_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    """The IANA zone the user reads times in; None: the league's."""
    display_name: Mapped[str | None] = mapped_column(String(32))
    """The public name on the leaderboard (unique, see the index); None: not chosen."""
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    email_notifications: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """Also e-mail a notification when a bet settles (off by default)."""
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set when the person deleted the account: the row stays, anonymised, so the bets it
    made still count (see `services.account_deletion`)."""


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


class RevokedToken(Base):
    """A signed-out session: its token id (`jti`), kept until the token would have expired.

    The database is the record of a sign-out, so every instance refuses the token whatever
    happened to the cache; rows past `expires_at` are pruned whenever a token is revoked.
    ("Log out everywhere", deactivation and role changes need no rows: they change the
    user's `token_version`, `is_active` or `role`.)
    """

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
