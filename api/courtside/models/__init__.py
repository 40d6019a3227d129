"""The models, each module imported on first use.

`from courtside.models import Game` imports `courtside.models.league` only: a cold start that
reads the league data does not build the account, betting or audit models (nor load the
dialect modules their indexes name). `Base` is different: whoever asks for it wants the
metadata of every table (Alembic, the tests), so asking for it imports every model module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers
    from courtside.models.accounts import (
        AccountToken,
        AccountTokenPurpose,
        ApiKey,
        ApiScope,
        RevokedToken,
        Role,
        User,
    )
    from courtside.models.base import (
        Base,
        UTCDateTime,
        utcnow,
    )
    from courtside.models.betting import (
        BankrollReset,
        Bet,
        BetSide,
        BetStatus,
        Notification,
        NotificationKind,
        Wallet,
    )
    from courtside.models.caching import CacheVersion
    from courtside.models.core import (
        AuditEvent,
        FeatureFlag,
        RowCount,
    )
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
    from courtside.models.sso import SsoLink

MODULES = ("accounts", "betting", "caching", "core", "league", "sso")
"""Every module that defines tables."""

_HOME: dict[str, str] = {
    **dict.fromkeys(
        (
            "AccountToken",
            "AccountTokenPurpose",
            "ApiKey",
            "ApiScope",
            "RevokedToken",
            "Role",
            "User",
        ),
        "accounts",
    ),
    **dict.fromkeys(("UTCDateTime", "utcnow"), "base"),
    **dict.fromkeys(
        (
            "BankrollReset",
            "Bet",
            "BetSide",
            "BetStatus",
            "Notification",
            "NotificationKind",
            "Wallet",
        ),
        "betting",
    ),
    "CacheVersion": "caching",
    "SsoLink": "sso",
    **dict.fromkeys(("AuditEvent", "FeatureFlag", "RowCount"), "core"),
    **dict.fromkeys(
        (
            "Game",
            "GameStatus",
            "Injury",
            "InjuryStatus",
            "OddsSnapshot",
            "Player",
            "PlayerSeasonStats",
            "Prediction",
            "Team",
        ),
        "league",
    ),
}


def load_all() -> None:
    """Import every model module, so `Base.metadata` holds every table."""
    for module in MODULES:
        importlib.import_module(f"courtside.models.{module}")


def __getattr__(name: str) -> Any:
    if name == "Base":
        load_all()
        module = "base"
    else:
        module = _HOME.get(name, "")
        if not module:
            raise AttributeError(f"module 'courtside.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"courtside.models.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AccountToken",
    "AccountTokenPurpose",
    "ApiKey",
    "ApiScope",
    "AuditEvent",
    "BankrollReset",
    "Base",
    "Bet",
    "BetSide",
    "BetStatus",
    "CacheVersion",
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
    "RowCount",
    "SsoLink",
    "Team",
    "UTCDateTime",
    "User",
    "Wallet",
    "utcnow",
]
