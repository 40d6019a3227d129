"""Simulated moneyline betting: a wallet per user and the bets placed from it.

Money is integer cents (1 unit = 100 cents): exact on both dialects without Decimal.
The wallet's balance is what the user may still stake; placing a bet debits the stake
and settlement credits the stake plus profit (won) or the stake (refunded). A check
constraint keeps the balance non-negative, so no race can overdraw it even if the
service's row lock were bypassed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courtside.models.base import Base, UTCDateTime, utcnow
from courtside.models.league import Game

MAX_ABS_ODDS = 100_000
"""American odds beyond ±100000 are treated as data errors and never accepted on a bet."""


class BetSide(StrEnum):
    HOME = "home"
    AWAY = "away"


class BetStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    REFUNDED = "refunded"


class Wallet(Base):
    """A user's virtual bankroll, created with the starting balance on first use."""

    __tablename__ = "wallets"
    __table_args__ = (
        CheckConstraint("balance_cents >= 0", name="balance_non_negative"),
        CheckConstraint("unit_cents IS NULL OR unit_cents > 0", name="unit_positive"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rest_api_users.id", ondelete="CASCADE"), primary_key=True
    )
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    starting_cents: Mapped[int] = mapped_column(BigInteger)
    unit_cents: Mapped[int | None] = mapped_column(BigInteger)
    """The stake the user counts results in ("units won"); None: 1 % of `starting_cents`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Bet(Base):
    """One user's stake on one side of one game, at the odds offered when it was placed."""

    __tablename__ = "bets"
    __table_args__ = (
        # The partial unique index of one live bet per user and game: `declare_live_bet_index`.
        CheckConstraint("stake_cents > 0", name="stake_positive"),
        CheckConstraint("side IN ('home', 'away')", name="side"),
        CheckConstraint(
            f"(odds <= -100 AND odds >= -{MAX_ABS_ODDS})"
            f" OR (odds >= 100 AND odds <= {MAX_ABS_ODDS})",
            name="odds_american",
        ),
        CheckConstraint("status IN ('open', 'won', 'lost', 'refunded')", name="status"),
        CheckConstraint(
            "(status = 'open' AND profit_cents IS NULL AND settled_at IS NULL)"
            " OR (status = 'won' AND profit_cents >= 0 AND settled_at IS NOT NULL)"
            " OR (status = 'lost' AND profit_cents = -stake_cents AND settled_at IS NOT NULL)"
            " OR (status = 'refunded' AND profit_cents = 0 AND settled_at IS NOT NULL)",
            name="status_profit",
        ),
        Index("ix_bets_game_id_status", "game_id", "status"),
        Index("ix_bets_user_id_placed_at", "user_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="RESTRICT"))
    side: Mapped[str] = mapped_column(String(4))
    stake_cents: Mapped[int] = mapped_column(BigInteger)
    odds: Mapped[int] = mapped_column(Integer)
    """American odds on the chosen side, captured at placement."""
    bookmaker: Mapped[str] = mapped_column(String(64))
    odds_recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default=BetStatus.OPEN.value)
    profit_cents: Mapped[int | None] = mapped_column(BigInteger)
    """Net result: positive when won, minus the stake when lost, 0 when refunded."""
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set when the user cancelled the bet before tip-off (it is then `refunded`)."""

    game: Mapped[Game] = relationship(lazy="raise")

    @property
    def display_status(self) -> str:
        return shown_status(self.status, self.cancelled_at)


def shown_status(status: str, cancelled_at: datetime | None) -> str:
    """The status a page shows: `cancelled` for a bet its user cancelled, else the status."""
    return "cancelled" if cancelled_at is not None else status


LIVE_BET_INDEX = "uq_bets_user_id_game_id_live"


def declare_live_bet_index() -> Index:
    """One bet per user and game, refunds aside (a bet refunded because the game was postponed
    must not stop the user betting on the rescheduled game): a partial unique index, declared
    on `bets` by `courtside.models.load_all` (whoever asks for `Base`: Alembic, the tests).

    Not in `Bet.__table_args__`: an index's `sqlite_where` makes SQLAlchemy import the SQLite
    dialect package (with aiosqlite's) to check the argument, ~27 M instructions of a cold
    PostgreSQL web `GET /`, for an index the app only ever meets as the database's (the
    migrations create it, and no statement of the app names it)."""
    table = Bet.metadata.tables["bets"]
    for index in table.indexes:
        if index.name == LIVE_BET_INDEX:
            return index
    live = text("status <> 'refunded'")
    return Index(
        LIVE_BET_INDEX,
        table.c.user_id,
        table.c.game_id,
        unique=True,
        postgresql_where=live,
        sqlite_where=live,
    )


class BankrollReset(Base):
    """A user set their bankroll back to the starting amount: the record of it (the bets
    before it stay as they were; the record page lists the resets)."""

    __tablename__ = "bankroll_resets"
    __table_args__ = (Index("ix_bankroll_resets_user_id_reset_at", "user_id", "reset_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    reset_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    balance_before_cents: Mapped[int] = mapped_column(BigInteger)
    balance_after_cents: Mapped[int] = mapped_column(BigInteger)


class NotificationKind(StrEnum):
    BET_SETTLED = "bet_settled"


class Notification(Base):
    """Something a user should see: for now, that one of their bets settled.

    Created in the transaction that settles the bet (one per bet and kind); e-mailed, if
    the user asked for it, only after that transaction commits.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind IN ('bet_settled')", name="kind"),
        Index("uq_notifications_bet_id_kind", "bet_id", "kind", unique=True),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rest_api_users.id", ondelete="CASCADE"))
    bet_id: Mapped[int | None] = mapped_column(ForeignKey("bets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
