"""A cold start answered from Redis loads no database layer.

With Redis shared by every Lambda (ElastiCache), a new execution environment of the public
service usually answers its first request from the cache: it then imports nothing of
SQLAlchemy, the drivers or `courtside.db` (issue 23: SQLAlchemy is ~990 M of the ~1,280 M
instructions a cold public start spends over its floor). The first miss loads them, and a
database that cannot answer that miss is still a JSON 503 with `Retry-After`.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from tests.api.core.cold import child_env, cold_public, within
from tests.conftest import REDIS_PREFIX, REDIS_URL

DATABASE_LAYER = (
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "greenlet",
    "courtside.db",
    "courtside.models",
    "courtside.read_replica",
    "courtside.prepared",
    "courtside.services.league",
    "courtside.services.pagination",
)
"""What a request answered from the cache never needs."""

FIRST_REQUESTS = ["/v1/teams?limit=50", "/v1/standings"]
"""One route of each public group that reads the database (reference data, the schedule)."""


def _cold_process(targets: list[str], database_url: str, prefix: str) -> list[dict[str, Any]]:
    env = child_env(database_url, "courtside-public")
    env.update(REDIS_URL=REDIS_URL, CACHE_PREFIX=prefix)
    return cold_public(targets, env)


def _sqlite_copy(migrated: Path, tmp_path: Path) -> str:
    database = tmp_path / "cold.db"
    shutil.copyfile(migrated, database)
    return f"sqlite+aiosqlite:///{database}"


def test_a_cold_start_answered_from_redis_imports_no_database_layer(tmp_path, migrated_sqlite):
    prefix = f"{REDIS_PREFIX}:cold-{uuid.uuid4().hex[:8]}"
    url = _sqlite_copy(migrated_sqlite, tmp_path)
    filled = _cold_process(FIRST_REQUESTS, url, prefix)
    assert [(a["status"], a["cache"]) for a in filled] == [(200, "miss"), (200, "miss")]
    assert "sqlalchemy" in filled[0]["modules"]  # the test can fail: a miss loads it

    answered = _cold_process([*FIRST_REQUESTS, "/v1/teams?limit=7"], url, prefix)
    hits, miss = answered[:2], answered[2]
    assert [(a["status"], a["cache"]) for a in hits] == [(200, "hit"), (200, "hit")]
    assert [a["body"] for a in hits] == [a["body"] for a in filled]
    assert within(set(hits[-1]["modules"]), DATABASE_LAYER) == []
    # the first miss of the process loads the database layer and answers from it
    assert (miss["status"], miss["cache"]) == (200, "miss")
    assert "courtside.db" in miss["modules"]


def test_a_first_miss_on_a_database_that_cannot_answer_is_a_503(tmp_path, migrated_sqlite):
    """The miss that loads the database layer is answered as any database failure, though
    the process began with no SQLAlchemy loaded: on a file without our tables SQLAlchemy
    raises its `OperationalError` (`database_errors.failure_of`: unavailable), on a port
    nobody listens on the driver's `ConnectionRefusedError` (an `OSError`)."""
    prefix = f"{REDIS_PREFIX}:cold-{uuid.uuid4().hex[:8]}"
    filled = _cold_process(FIRST_REQUESTS[:1], _sqlite_copy(migrated_sqlite, tmp_path), prefix)
    assert filled[0]["cache"] == "miss"
    tableless = f"sqlite+aiosqlite:///{tmp_path / 'tableless.db'}"
    nowhere = "postgresql+asyncpg://postgres@127.0.0.1:9/courtside"  # the discard port
    for broken in (tableless, nowhere):
        answered = _cold_process([*FIRST_REQUESTS, "/v1/teams?limit=50"], broken, prefix)
        hit, miss, hit_again = answered
        assert (hit["status"], hit["cache"]) == (200, "hit")
        assert miss["status"] == 503, (broken, miss)
        assert miss["retry_after"] is not None
        assert json.loads(miss["body"])["error"]["code"] == "service_unavailable"
        assert (hit_again["status"], hit_again["cache"]) == (200, "hit")
