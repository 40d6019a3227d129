"""The teams and games pages written from their rows (`services.league_json`) are the same
bytes as the Pydantic round trip they replace (`Page[X].model_validate(...)`, then
`model_dump_json`): so the same ETags, the same bodies, for every client.

Compared three ways: over synthetic rows with the edge cases (None, unicode and escapes, big
and negative integers, time zones, microseconds), over the database's rows for every filter
and many pages on PostgreSQL and SQLite, and end to end (the served body and its ETag).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from courtside.domain_errors import NotFound
from courtside.http_cache import etag_for
from courtside.models import Team
from courtside.schemas.common import Page, PageParams
from courtside.schemas.league import GameRead, TeamRead
from courtside.services import games_page, teams_page
from courtside.services.league_json import game_at, page_json, team_row
from tests.helpers import both_dialects, make_game, utc

NEW_YORK = ZoneInfo("America/New_York")

STRINGS = [
    "Boston",
    "",
    "Zürich Ünïcødé",
    "東京",
    "emoji 🏀",
    'quote " and backslash \\',
    "control \x00 \x01 \x1f \t \n \r",
    "separators \u2028 \u2029",
    "slash / and </script>",
    "surrogate-free \ud7ff \ue000",
]
INTEGERS = [0, 1, -1, 2**31 - 1, -(2**31), 2**53 + 1, 2**63 - 1, -(2**63), 2**64, 2**70]
TIMES = [
    datetime(2026, 11, 24, 0, 30, tzinfo=UTC),
    datetime(2026, 11, 24, 0, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 24, 0, 30, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),
    datetime(2026, 7, 1, 12, tzinfo=NEW_YORK),
    datetime(2026, 11, 24, 0, 30),  # naive
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def old_page(schema: type[Any], items: list[dict[str, Any]], total: int, page: PageParams) -> bytes:
    """What the routes did before: validate the envelope of dict rows, dump it."""
    envelope = {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
    return Page[schema].model_validate(envelope).model_dump_json().encode()  # type: ignore[valid-type]


def team_rows() -> list[tuple[Any, ...]]:
    cycle = itertools.cycle
    strings, integers = cycle(STRINGS), cycle(INTEGERS)
    return [
        (next(integers), next(strings), next(strings), next(strings), next(strings), s, 99)
        for s in STRINGS
        for _ in range(3)
    ]


def game_rows() -> list[tuple[Any, ...]]:
    strings, integers, times = (
        itertools.cycle(STRINGS),
        itertools.cycle(INTEGERS),
        itertools.cycle(TIMES),
    )
    maybe = itertools.cycle([None, 0, 7, None, 2**40, -3])
    rows = []
    for _ in range(40):
        teams = [
            value
            for _ in range(2)
            for value in (next(integers), next(strings), next(strings), next(strings))
        ]
        rows.append(
            (
                next(integers),
                next(strings),
                next(integers),
                next(times),
                next(strings),
                next(maybe),
                next(maybe),
                next(maybe),
                next(maybe),
                *teams,
                12,  # the window total, read from the last column
            )
        )
    return rows


@pytest.mark.parametrize("size", [0, 1, 2, 30])
def test_team_rows_serialise_as_the_pydantic_round_trip(size):
    rows = team_rows()[:size] if size < 30 else team_rows()
    for page in (PageParams(50, 0), PageParams(1, 10**6), PageParams(200, 7)):
        for total in (0, len(rows), 2**40):
            assert page_json([team_row(r) for r in rows], total, page) == old_page(
                TeamRead, [team_row(r) for r in rows], total, page
            )


@pytest.mark.parametrize("size", [0, 1, 5, 40])
def test_game_rows_serialise_as_the_pydantic_round_trip(size):
    rows = game_rows()[:size]
    for page in (PageParams(50, 0), PageParams(3, 1), PageParams(1, 10**6)):
        new = page_json([game_at(r) for r in rows], len(rows), page)
        assert new == old_page(GameRead, [game_at(r) for r in rows], len(rows), page)


@pytest.fixture
async def more_games(session, world) -> None:
    """Beyond the world: a team with unicode and quotes in its names, a live game with its
    period and clock, a final with scores, games at day boundaries and microseconds."""
    odd = Team(
        abbreviation="ZZZ",
        city='Zürich "Ü"',
        name="Bällers 🏀 \\ </x>",
        conference="East",
        division="Atlantic",
    )
    session.add(odd)
    await session.flush()
    teams = world.teams
    await make_game(
        session, odd, teams["BOS"], utc(2026, 11, 23, 23, 59), status="live",
        home_score=50, away_score=48, period=5, clock_seconds=0,
    )  # fmt: skip
    await make_game(
        session, teams["NYK"], odd, datetime(2026, 11, 24, 4, 59, 59, 999999, tzinfo=UTC),
        status="final", home_score=0, away_score=2**31 - 1,
    )  # fmt: skip
    await make_game(session, odd, teams["DEN"], utc(2026, 11, 24, 5, 0))  # the 24th in NY
    await session.commit()


DAYS = ["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]
TEAM_FILTERS = [None, "BOS", "den", "ZZZ", "XXX"]
STATUSES = [None, "scheduled", "live", "final"]
PAGES = [PageParams(50, 0), PageParams(1, 0), PageParams(1, 1), PageParams(2, 1), PageParams(3, 9)]


@both_dialects
async def test_games_pages_from_the_database_are_the_same_bytes(
    connection: AsyncConnection, more_games
):
    compared = 0
    for day, team, status, page in itertools.product(DAYS, TEAM_FILTERS, STATUSES, PAGES):
        arguments: dict[str, Any] = {
            "day": datetime.fromisoformat(day).date(),
            "zone": NEW_YORK,
            "team": team,
            "status": status,
        }
        if team == "XXX":
            with pytest.raises(NotFound):
                await games_page.games_page_json(connection, page, **arguments)
            continue
        result = await games_page.list_games(connection, page, **arguments)
        new = await games_page.games_page_json(connection, page, **arguments)
        assert new == old_page(GameRead, list(result.items), result.total, page), arguments
        compared += bool(result.items)
    assert compared >= 40  # most combinations had games to compare, not only empty pages


@both_dialects
async def test_teams_pages_from_the_database_are_the_same_bytes(
    connection: AsyncConnection, more_games
):
    for limit, offset in itertools.product([1, 2, 3, 5, 50, 200], [0, 1, 3, 4, 5, 6, 10**6]):
        page = PageParams(limit, offset)
        result = await teams_page.list_teams(connection, page)
        new = await teams_page.teams_page_json(connection, page)
        assert new == old_page(TeamRead, list(result.items), result.total, page)
        assert result.total == 5


@both_dialects
async def test_served_bodies_and_etags_are_the_pydantic_round_trips(
    client, connection: AsyncConnection, more_games
):
    page = PageParams(50, 0)
    teams = await teams_page.list_teams(connection, page)
    games = await games_page.list_games(
        connection, page, day=datetime(2026, 11, 23).date(), zone=NEW_YORK
    )
    for path, expected in [
        ("/v1/teams", old_page(TeamRead, list(teams.items), teams.total, page)),
        ("/v1/games?date=2026-11-23", old_page(GameRead, list(games.items), games.total, page)),
    ]:
        for _ in range(2):  # the miss, then the hit
            response = await client.get(path)
            assert response.status_code == 200
            assert response.content == expected
            assert response.headers["etag"] == etag_for(expected)
