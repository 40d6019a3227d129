"""The public list pages of teams and games as JSON bytes, straight from their rows.

A cache miss of `GET /v1/teams` used to shape each row as a dict (`league_rows.team_row`),
validate the page as `Page[TeamRead]` and dump it again (`model_dump_json`): ~0.9 M
instructions of a 3.2 M-instruction miss (issue 23, docs/performance.md "A miss without
the Pydantic round trip"). Rows read from our own tables need no validation: their types
are the columns' (the migrations' constraints keep them so), so here each row becomes a
dict in the schema's field order and the whole page is written by `pydantic_core.to_json`,
the serializer `model_dump_json` itself uses. The bytes (and so the ETag) are the same as
the Pydantic round trip's: `tests/api/league/test_page_json.py` compares both over every
filter on PostgreSQL and SQLite, and over rows with the edge cases (None, unicode, big
integers, time zones).

A change to `TeamRead`, `TeamRef`, `GameRead` or `Page` must be made here too: the test
fails until it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from courtside.schemas.common import PageParams

Item = dict[str, Any]


def page_json(items: list[Item], total: int, page: PageParams) -> bytes:
    """The `Page` envelope of `items`, as `Page[X].model_dump_json()` writes it."""
    return to_json({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


def team_item(row: Sequence[Any]) -> Item:
    """`TeamRead` of a row whose first columns are `league_rows.TEAM_COLUMNS`."""
    id_, abbreviation, city, name, conference, division = row[:6]
    return {
        "id": id_,
        "abbreviation": abbreviation,
        "city": city,
        "name": name,
        "full_name": f"{city} {name}",
        "conference": conference,
        "division": division,
    }


def game_item(row: Sequence[Any]) -> Item:
    """`GameRead` of a row read by position (`league_rows.game_at`'s columns)."""
    (
        id_,
        external_id,
        season,
        start_time,
        status,
        home_score,
        away_score,
        period,
        clock_seconds,
        home_id,
        home_abbreviation,
        home_city,
        home_name,
        away_id,
        away_abbreviation,
        away_city,
        away_name,
    ) = row[:17]
    return {
        "id": id_,
        "external_id": external_id,
        "season": season,
        "start_time": start_time,
        "status": status,
        "home_team": {
            "id": home_id,
            "abbreviation": home_abbreviation,
            "full_name": f"{home_city} {home_name}",
        },
        "away_team": {
            "id": away_id,
            "abbreviation": away_abbreviation,
            "full_name": f"{away_city} {away_name}",
        },
        "home_score": home_score,
        "away_score": away_score,
        "period": period,
        "clock_seconds": clock_seconds,
    }
