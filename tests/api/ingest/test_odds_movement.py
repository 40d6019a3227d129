"""`GET /v1/games/{id}/odds?type=…` against hand-computed values, on both dialects.

Snapshots sit hours away from every window edge, so the real clock cannot move one across.
Expected values come from `statistics` over the literal odds listed here, not from our SQL.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from courtside.models import Game
from courtside.odds import implied_probability
from courtside.schemas.odds_movement import OddsAggregateType
from courtside.services.odds_movement import odds_movement
from tests.helpers import both_dialects, make_game, make_odds, make_teams

NOW = datetime.now(UTC).replace(microsecond=0)

# bookmaker -> [(hours before now, home odds, away odds)]
LINES = {
    "alpha": [(1, -150, 130), (5, -110, -110), (30, -200, 170)],
    "beta": [(2, -130, 110), (8 * 24, 120, -140), (-2, -300, 250)],  # -2: two hours ahead
}


def _in_window(hours: int, window_hours: int) -> bool:
    return 0 <= hours < window_hours


def _values(bookmaker: str | None, window_hours: int, side: int) -> list[int]:
    books = [bookmaker] if bookmaker else list(LINES)
    return [
        line[side] for book in books for line in LINES[book] if _in_window(line[0], window_hours)
    ]


def _expected(bookmaker: str | None, window_hours: int, deviation: bool) -> dict[str, float]:
    stat = statistics.pstdev if deviation else statistics.fmean
    home, away = _values(bookmaker, window_hours, 1), _values(bookmaker, window_hours, 2)
    return {
        "snapshots": len(home),
        "home_odds": stat(home),
        "away_odds": stat(away),
        "home_probability": stat([implied_probability(o) for o in home]),
        "away_probability": stat([implied_probability(o) for o in away]),
    }


async def _game_with_lines(session: Any) -> Game:
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["NYK"], NOW + timedelta(days=1))
    for bookmaker, lines in LINES.items():
        for hours, home, away in lines:
            await make_odds(session, game, home, away, NOW - timedelta(hours=hours), bookmaker)
    await session.commit()
    return game


def _assert_matches(actual: dict[str, Any], expected: dict[str, float]) -> None:
    assert actual["snapshots"] == expected["snapshots"]
    for name in ("home_odds", "away_odds"):
        assert actual[name] == pytest.approx(expected[name], abs=1e-4), name
    for name in ("home_probability", "away_probability"):
        assert actual[name] == pytest.approx(expected[name], abs=1e-6), name


WINDOWED = [
    ("24h_average", 24, False),
    ("24h_deviation", 24, True),
    ("7d_average", 7 * 24, False),
    ("7d_deviation", 7 * 24, True),
]


@both_dialects
@pytest.mark.parametrize(("kind", "hours", "deviation"), WINDOWED)
async def test_windowed_aggregates_match_hand_computed(client, session, kind, hours, deviation):
    game = await _game_with_lines(session)
    response = await client.get(f"/v1/games/{game.id}/odds", params={"type": kind})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == kind
    assert body["game_id"] == game.id
    start = datetime.fromisoformat(body["window_start"])
    end = datetime.fromisoformat(body["window_end"])
    assert end - start == timedelta(hours=hours)
    _assert_matches(body["overall"], _expected(None, hours, deviation))
    assert body["overall"]["bookmaker"] is None
    by_book = {item["bookmaker"]: item for item in body["bookmakers"]}
    assert list(by_book) == ["alpha", "beta"]
    for bookmaker in LINES:
        _assert_matches(by_book[bookmaker], _expected(bookmaker, hours, deviation))


@both_dialects
async def test_known_figures(session, connection):
    """The same numbers worked out by hand, as a check on the check."""
    game = await _game_with_lines(session)
    await session.flush()
    avg = await odds_movement(connection, game.id, OddsAggregateType.AVERAGE_24H, now=NOW)
    dev = await odds_movement(connection, game.id, OddsAggregateType.DEVIATION_24H, now=NOW)
    alpha_avg = next(b for b in avg.bookmakers if b.bookmaker == "alpha")
    alpha_dev = next(b for b in dev.bookmakers if b.bookmaker == "alpha")
    # alpha in 24 h: home -150 and -110, away +130 and -110
    assert (alpha_avg.home_odds, alpha_avg.away_odds) == (-130.0, 10.0)
    assert (alpha_dev.home_odds, alpha_dev.away_odds) == (20.0, 120.0)
    # implied: -150 -> 0.6, -110 -> 110/210; deviation is half the gap
    assert alpha_dev.home_probability == pytest.approx((0.6 - 110 / 210) / 2, abs=1e-6)
    # overall home in 24 h: -150, -110, -130 -> mean -130, population sd sqrt(800/3)
    assert avg.overall.home_odds == -130.0
    assert dev.overall.home_odds == pytest.approx((800 / 3) ** 0.5, abs=1e-4)
    assert dev.overall.snapshots == 3


@both_dialects
async def test_latest_per_bookmaker_and_overall(client, session):
    game = await _game_with_lines(session)
    response = await client.get(f"/v1/games/{game.id}/odds")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "latest"
    assert body["window_start"] is None
    by_book = {item["bookmaker"]: item for item in body["bookmakers"]}
    # beta's snapshot two hours ahead does not count yet: its latest is the one 2 h ago
    assert (by_book["alpha"]["home_odds"], by_book["alpha"]["away_odds"]) == (-150, 130)
    assert (by_book["beta"]["home_odds"], by_book["beta"]["away_odds"]) == (-130, 110)
    assert by_book["alpha"]["snapshots"] == 3
    assert by_book["beta"]["snapshots"] == 2
    assert by_book["alpha"]["home_probability"] == pytest.approx(0.6)
    assert datetime.fromisoformat(by_book["alpha"]["recorded_at"]) == NOW - timedelta(hours=1)
    overall = body["overall"]
    assert overall["bookmaker"] == "alpha"  # the newest line of any bookmaker
    assert overall["snapshots"] == 5
    assert (overall["home_odds"], overall["away_odds"]) == (-150, 130)


@both_dialects
@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("24h_devt", "24h_deviation"),
        ("24_average", "24h_average"),
        ("7d_devt", "7d_deviation"),
        ("7d_average", "7d_average"),
        ("7D_AVERAGE", "7d_average"),
    ],
)
async def test_seed_spellings_are_aliases(client, session, alias, canonical):
    game = await _game_with_lines(session)
    by_alias = await client.get(f"/v1/games/{game.id}/odds", params={"type": alias})
    by_name = await client.get(f"/v1/games/{game.id}/odds", params={"type": canonical})
    assert by_alias.status_code == by_name.status_code == 200
    assert by_alias.json()["type"] == canonical
    assert by_alias.json()["overall"] == by_name.json()["overall"]


@both_dialects
async def test_empty_window_is_well_formed(client, session):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["LAL"], NOW + timedelta(days=3))
    await make_odds(session, game, -120, 100, NOW - timedelta(days=10), "alpha")
    await session.commit()
    response = await client.get(f"/v1/games/{game.id}/odds", params={"type": "24h_deviation"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bookmakers"] == []
    assert body["overall"] == {
        "bookmaker": None,
        "snapshots": 0,
        "home_odds": None,
        "away_odds": None,
        "home_probability": None,
        "away_probability": None,
        "recorded_at": None,
    }


@both_dialects
async def test_game_without_odds_has_empty_latest(client, session):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["LAL"], NOW + timedelta(days=3))
    await session.commit()
    body = (await client.get(f"/v1/games/{game.id}/odds")).json()
    assert body["bookmakers"] == []
    assert body["overall"]["snapshots"] == 0
    assert body["overall"]["home_odds"] is None


async def test_single_snapshot_has_zero_deviation(client, session):
    teams = await make_teams(session)
    game = await make_game(session, teams["BOS"], teams["LAL"], NOW + timedelta(days=3))
    await make_odds(session, game, -120, 100, NOW - timedelta(hours=3), "alpha")
    await session.commit()
    body = (await client.get(f"/v1/games/{game.id}/odds", params={"type": "24h_devt"})).json()
    assert body["overall"]["snapshots"] == 1
    assert body["overall"]["home_odds"] == 0.0
    assert body["overall"]["home_probability"] == 0.0


async def test_unknown_game_is_404(client):
    response = await client.get("/v1/games/999999/odds", params={"type": "24h_average"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_unknown_type_is_422_with_the_accepted_values(client, session):
    game = await _game_with_lines(session)
    response = await client.get(f"/v1/games/{game.id}/odds", params={"type": "30d_average"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_type"
    assert "24h_devt" in error["details"]["accepted"]
    assert "latest" in error["message"]


async def test_cached_with_etag(client, session):
    game = await _game_with_lines(session)
    url = f"/v1/games/{game.id}/odds?type=24h_deviation"
    first = await client.get(url)
    assert first.headers["x-cache"] == "miss"
    etag = first.headers["etag"]
    again = await client.get(f"/v1/games/{game.id}/odds?type=24h_devt")  # same aggregate
    assert again.headers["x-cache"] == "hit"
    assert again.headers["etag"] == etag
    conditional = await client.get(url, headers={"If-None-Match": etag})
    assert conditional.status_code == 304
