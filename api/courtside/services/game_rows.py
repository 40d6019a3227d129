"""A game as the board and the game page read it: its columns and both teams as plain rows.

Issue 23: the board built ~27 `Game` objects a request, each with its two `Team`s joined and
eager-loaded by the ORM (the identity map, the loader's per-row processors, the session's
bookkeeping), only for the pages to read their attributes: the largest single piece of a
warm board in a profile. The same statement now selects the columns, and `GameRow` has the
attribute names the cards, the templates and `closing_line.has_started` read (`Game`'s, with
`TeamRef` for the teams), so the pages render the same bytes from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import aliased

from courtside.models import Game, Team
from courtside.services.reference_data import TeamRef

HOME = aliased(Team, name="home_team")
AWAY = aliased(Team, name="away_team")


class GameRow(NamedTuple):
    """`Game`'s columns that a page reads, and its teams. A named tuple: built, hashed and
    compared in C (a board builds ~30 a request, and a card's shared markup is keyed by
    one, `web.card_html`)."""

    id: int
    season: int
    start_time: datetime
    home_team_id: int
    away_team_id: int
    status: str
    home_score: int | None
    away_score: int | None
    period: int | None
    clock_seconds: int | None
    home_team: TeamRef
    away_team: TeamRef


COLUMNS: tuple[Any, ...] = (
    Game.id,
    Game.season,
    Game.start_time,
    Game.home_team_id,
    Game.away_team_id,
    Game.status,
    Game.home_score,
    Game.away_score,
    Game.period,
    Game.clock_seconds,
    HOME.id,
    HOME.abbreviation,
    HOME.city,
    HOME.name,
    AWAY.id,
    AWAY.abbreviation,
    AWAY.city,
    AWAY.name,
)
"""What a slate selects for each game, in `game_row`'s order (the teams joined as `HOME`
and `AWAY`)."""

WIDTH = len(COLUMNS)


def game_row(row: Sequence[Any]) -> GameRow:
    """The `GameRow` of a result row whose first `WIDTH` columns are `COLUMNS`."""
    home, away = TeamRef(*row[10:14]), TeamRef(*row[14:18])
    return GameRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                   row[9], home, away)  # fmt: skip
