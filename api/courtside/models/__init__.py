"""Every model, imported so `Base.metadata` knows all tables (Alembic, tests)."""

from courtside.models.accounts import ApiKey, ApiScope, RevokedToken, Role, User
from courtside.models.base import Base, UTCDateTime, utcnow
from courtside.models.betting import (
    Bet,
    BetSide,
    BetStatus,
    Notification,
    NotificationKind,
    Wallet,
)
from courtside.models.core import AuditEvent, FeatureFlag
from courtside.models.league import (
    Game,
    GameStatus,
    Injury,
    InjuryStatus,
    OddsSnapshot,
    Player,
    PlayerSeasonStats,
    Prediction,
    Team,
)

__all__ = [
    "ApiKey",
    "ApiScope",
    "AuditEvent",
    "Base",
    "Bet",
    "BetSide",
    "BetStatus",
    "FeatureFlag",
    "Game",
    "GameStatus",
    "Injury",
    "InjuryStatus",
    "Notification",
    "NotificationKind",
    "OddsSnapshot",
    "Player",
    "PlayerSeasonStats",
    "Prediction",
    "RevokedToken",
    "Role",
    "Team",
    "UTCDateTime",
    "User",
    "Wallet",
    "utcnow",
]
