"""The models, each module imported on first use.

`from courtside.models import Game` imports `courtside.models.league` only: a cold start that
reads the league data does not build the account, betting or audit models (nor load the
dialect modules their indexes name). `Base` is different: whoever asks for it wants the
metadata of every table (Alembic, the tests), so asking for it imports every model module.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The one declaration of the names (see `_home`). `X as X` marks a re-export for mypy; the
# import sorter would split each into a statement of its own, hence its noqa.
if TYPE_CHECKING:
    from courtside.models.accounts import (  # noqa: I001
        ApiScope as ApiScope,
        RevokedToken as RevokedToken,
        Role as Role,
        User as User,
    )
    from courtside.models.base import (
        Base as Base,
        UTCDateTime as UTCDateTime,
        utcnow as utcnow,
    )
    from courtside.models.betting import (
        BankrollReset as BankrollReset,
        Bet as Bet,
        BetSide as BetSide,
        BetStatus as BetStatus,
        Notification as Notification,
        NotificationKind as NotificationKind,
        Wallet as Wallet,
    )
    from courtside.models.caching import CacheVersion as CacheVersion
    from courtside.models.credentials import (
        AccountToken as AccountToken,
        AccountTokenPurpose as AccountTokenPurpose,
        ApiKey as ApiKey,
    )
    from courtside.models.core import (
        AuditEvent as AuditEvent,
        FeatureFlag as FeatureFlag,
        RowCount as RowCount,
    )
    from courtside.models.league import (
        Game as Game,
        GameStatus as GameStatus,
        Injury as Injury,
        InjuryStatus as InjuryStatus,
        OddsSnapshot as OddsSnapshot,
        Player as Player,
        PlayerSeasonStats as PlayerSeasonStats,
        Prediction as Prediction,
        Team as Team,
    )
    from courtside.models.sso import SsoLink as SsoLink

MODULES = ("accounts", "betting", "caching", "core", "credentials", "league", "sso")
"""Every module that defines tables."""


def load_all() -> None:
    """Import every model module, so `Base.metadata` holds every table and index (the live
    bets' partial index too: `betting.declare_live_bet_index`)."""
    for module in MODULES:
        importlib.import_module(f"courtside.models.{module}")
    importlib.import_module("courtside.models.betting").declare_live_bet_index()


@cache
def _home() -> dict[str, str]:
    """Each name's module, read from the `TYPE_CHECKING` block above (parsed on the first
    look-up, about a millisecond): the names are declared once, where type checkers see
    them, and nothing imports a model module before its name is asked for."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: str(node.module).rsplit(".", 1)[-1]
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def __getattr__(name: str) -> Any:
    if name == "Base":
        load_all()
        module = "base"
    else:
        module = _home().get(name, "")
        if not module:
            raise AttributeError(f"module 'courtside.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"courtside.models.{module}"), name)
    globals()[name] = value
    return value
