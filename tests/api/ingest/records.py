"""Record builders for the ingestion tests, in the API's shapes (natural keys)."""

from __future__ import annotations

from typing import Any

TEAMS: list[dict[str, Any]] = [
    {
        "abbreviation": "BOS",
        "city": "Boston",
        "name": "Celtics",
        "conference": "East",
        "division": "Atlantic",
    },
    {
        "abbreviation": "NYK",
        "city": "New York",
        "name": "Knicks",
        "conference": "East",
        "division": "Atlantic",
    },
    {
        "abbreviation": "LAL",
        "city": "Los Angeles",
        "name": "Lakers",
        "conference": "West",
        "division": "Pacific",
    },
]


def teams() -> list[dict[str, Any]]:
    return [dict(team) for team in TEAMS]


def stats(season: int = 2025, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "season": season,
        "games_played": 60,
        "minutes": 31.5,
        "points": 22.4,
        "rebounds": 5.1,
        "assists": 6.3,
        "steals": 1.2,
        "blocks": 0.4,
        "field_goal_pct": 0.481,
        "three_point_pct": 0.372,
        "free_throw_pct": 0.861,
    }
    values.update(fields)
    return values


def player(external_id: str = "p-1", team: str | None = "BOS", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": external_id,
        "first_name": "Jalen",
        "last_name": "Smith",
        "team": team,
        "position": "G",
        "jersey": "7",
        "active": True,
        "season_stats": [stats(2025)],
    }
    values.update(fields)
    return values


def game(
    external_id: str = "g-1",
    home: str = "BOS",
    away: str = "NYK",
    start: str = "2026-11-20T00:30:00Z",
    **fields: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": external_id,
        "season": 2026,
        "start_time": start,
        "home_team": home,
        "away_team": away,
        "status": "scheduled",
        "home_score": None,
        "away_score": None,
    }
    values.update(fields)
    return values


def odds(
    game_id: str = "g-1",
    bookmaker: str = "fanduel",
    home: int = -150,
    away: int = 130,
    at: str = "2026-11-19T12:00:00Z",
) -> dict[str, Any]:
    return {
        "game": game_id,
        "bookmaker": bookmaker,
        "home_odds": home,
        "away_odds": away,
        "recorded_at": at,
    }


def prediction(game_id: str = "g-1", version: str = "elo-1", p: float = 0.61) -> dict[str, Any]:
    return {"game": game_id, "model_version": version, "home_win_probability": p}


def injury(
    player_id: str = "p-1", on: str = "2026-11-18", status: str = "out", note: str = "Ankle"
) -> dict[str, Any]:
    return {"player": player_id, "reported_on": on, "status": status, "description": note}
