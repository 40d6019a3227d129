"""The league's status vocabularies: plain enums, no SQLAlchemy.

`courtside.models.tables` builds its check constraints from them; the public API validates
its `status` filter with them without loading the database layer (a cold start the cache
answers imports none of it, issue 23).
"""

from __future__ import annotations

from enum import StrEnum


class GameStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    FINAL = "final"
    POSTPONED = "postponed"


class InjuryStatus(StrEnum):
    OUT = "out"
    DOUBTFUL = "doubtful"
    QUESTIONABLE = "questionable"
    PROBABLE = "probable"
    DAY_TO_DAY = "day-to-day"
