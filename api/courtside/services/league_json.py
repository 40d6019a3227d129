"""The public list pages of teams and games as JSON bytes, straight from their rows.

A cache miss of `GET /v1/teams` used to validate its rows' dicts as `Page[TeamRead]` and
dump them again (`model_dump_json`): ~0.9 M instructions of a 3.2 M-instruction miss with
the shaping (issue 23, docs/performance.md "A miss without the Pydantic round trip"). Rows
read from our own tables need no validation: their types are the columns' (the migrations'
constraints keep them so), and `team_row` and `game_at` shape them with their keys
in the schema's field order, so the whole page is written here by `pydantic_core.to_json`,
the serializer `model_dump_json` itself uses. The bytes (and so the ETag) are the same as
the Pydantic round trip's: `tests/api/league/test_page_json.py` compares both over every
filter on PostgreSQL and SQLite, and over rows with the edge cases (None, unicode, big
integers, time zones).

A change to `TeamRead`, `TeamRef`, `GameRead` or `Page` must be made in those shapers too:
the test fails until it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from courtside.schemas.common import PageParams

Row = dict[str, Any]

TEAM_FIELDS = ("id", "abbreviation", "city", "name", "conference", "division")
"""The columns a team's response reads, in this order first in every statement `team_row`
shapes (`league_rows.TEAM_COLUMNS`)."""


def team_row(row: Sequence[Any]) -> Row:
    """A team from a row whose first columns are `TEAM_FIELDS` (by position: no key look-ups
    on the list endpoints' hot path), its keys in `TeamRead`'s field order: the teams page
    writes these dicts as its JSON as they are."""
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


def game_at(row: Sequence[Any]) -> Row:
    """A game from a row read by position: `league_rows.GAME_COLUMNS`, then both teams'
    `ref_columns` (`league_rows.games_with_teams`); its keys in `GameRead`'s field order:
    the games page writes these dicts as its JSON as they are."""
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
        *teams_,
    ) = row[:17]
    return {
        "id": id_,
        "external_id": external_id,
        "season": season,
        "start_time": start_time,
        "status": status,
        "home_team": _ref_at(teams_[:4]),
        "away_team": _ref_at(teams_[4:]),
        "home_score": home_score,
        "away_score": away_score,
        "period": period,
        "clock_seconds": clock_seconds,
    }


def _ref_at(columns: Sequence[Any]) -> Row | None:
    id_, abbreviation, city, name = columns
    if id_ is None:
        return None
    return {"id": id_, "abbreviation": abbreviation, "full_name": f"{city} {name}"}


def page_json(items: list[dict[str, Any]], total: int, page: PageParams) -> bytes:
    """The `Page` envelope of `items`, as `Page[X].model_dump_json()` writes it."""
    return to_json({"items": items, "total": total, "limit": page.limit, "offset": page.offset})
