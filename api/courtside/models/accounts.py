"""People (users with a role), their signed-out sessions, and the scopes of machines' API keys.

The API keys themselves and the e-mailed account links are `courtside.models.credentials`:
a signed-in page reads neither, and each mapped class costs a cold start ~10 M instructions."""

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
