"""Sign-in links with an OpenID Connect provider: which account an (issuer, subject) is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from courtside.models.base import Base, UTCDateTime, utcnow


class SsoLink(Base):
    """A provider's user (`issuer` + `subject`, the ID token's `iss` and `sub`: the only
    pair OpenID Connect promises is stable and unique) and the account it signs in to.

    Made at the first sign-in (`services.sso_accounts`); from then on the link alone
    decides, whatever the provider later says the e-mail address is. One account may have
    links with several providers, never two with the same one (a second person at the same
    provider cannot be attached to an account already linked there).
    """

    __tablename__ = "sso_links"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_sso_links_issuer_subject"),
        UniqueConstraint("issuer", "user_id", name="uq_sso_links_issuer_user_id"),
        Index("ix_sso_links_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
