"""The live bets' partial unique index: in the metadata whoever asks for `Base`, and not
declared when the models are imported (its `sqlite_where` imports SQLAlchemy's SQLite dialect
package: a cold PostgreSQL process pays ~27 M instructions for it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

API = Path(__file__).resolve().parents[3] / "api"


def test_the_metadata_holds_the_live_bet_index_as_the_migrations_create_it():
    from courtside.models import Base
    from courtside.models.betting import LIVE_BET_INDEX, declare_live_bet_index

    bets = Base.metadata.tables["bets"]
    [index] = [i for i in bets.indexes if i.name == LIVE_BET_INDEX]
    assert [c.name for c in index.columns] == ["user_id", "game_id"]
    assert index.unique
    for dialect in ("postgresql", "sqlite"):
        assert str(index.dialect_options[dialect]["where"]) == "status <> 'refunded'"
    assert declare_live_bet_index() is index  # once, however often it is asked for
    assert len([i for i in bets.indexes if i.name == LIVE_BET_INDEX]) == 1


def test_importing_the_models_imports_no_sqlite_dialect():
    code = (
        "import json, sys\n"
        "from courtside.models import Bet, BankrollReset, Game, User, Wallet\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
        "('sqlalchemy.dialects.sqlite', 'aiosqlite')))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(API)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
