"""The record schemas refuse what the database must never hold, with messages a person reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from courtside.domain_errors import DomainError
from courtside.errors import status_for
from courtside.schemas.ingest import Dataset
from courtside.services.ingest import validate_records
from tests.api.ingest import records as r


def errors_of(dataset: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(DomainError) as caught:
        validate_records(Dataset(dataset), [record])
    assert status_for(caught.value) == 422
    (detail,) = caught.value.details
    assert detail["index"] == 0
    return list(detail["errors"])


def message(dataset: str, record: dict[str, Any]) -> str:
    return " / ".join(f"{e['loc']}: {e['msg']}" for e in errors_of(dataset, record))


@pytest.mark.parametrize(
    ("dataset", "record"),
    [
        ("teams", r.teams()[0]),
        ("players", r.player()),
        ("players", r.player(team=None, jersey=None, season_stats=[])),
        ("games", r.game()),
        ("games", r.game(status="final", home_score=100, away_score=99)),
        ("games", r.game(status="live", home_score=10, away_score=12)),
        ("games", r.game(status="live")),
        ("games", r.game(status="live", home_score=60, away_score=55, period=3, clock_seconds=312)),
        ("games", r.game(status="live", period=5, clock_seconds=300)),
        ("games", r.game(status="live", period=2)),
        ("games", r.game(status="postponed")),
        ("odds", r.odds(home=100, away=-100)),
        ("predictions", r.prediction(p=0)),
        ("predictions", r.prediction(p=1)),
        ("injuries", r.injury(status="day-to-day")),
    ],
)
def test_valid_records_pass(dataset, record):
    assert len(validate_records(Dataset(dataset), [record])) == 1


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("teams", {**r.TEAMS[0], "abbreviation": "B"}, "abbreviation"),
    ("teams", {**r.TEAMS[0], "abbreviation": "BOST1"}, "abbreviation"),
    ("teams", {**r.TEAMS[0], "conference": "North"}, "conference"),
    ("teams", {**r.TEAMS[0], "division": "Midwest"}, "division"),
    ("teams", {**r.TEAMS[0], "division": "Pacific"}, "is in the West, not the East"),
    ("teams", {**r.TEAMS[0], "mascot": "Lucky"}, "Extra inputs are not permitted"),
    ("teams", {**r.TEAMS[0], "city": ""}, "city"),
    ("players", r.player(position="PG"), "position"),
    ("players", r.player(jersey="123"), "jersey"),
    ("players", r.player(jersey=7), "jersey"),
    ("players", r.player(active="yes"), "active"),
    ("players", r.player(external_id="has space"), "external_id"),
    ("players", r.player(season_stats=[r.stats(2025), r.stats(2025)]), "only once"),
    ("players", r.player(season_stats=[r.stats(field_goal_pct=1.2)]), "field_goal_pct"),
    ("players", r.player(season_stats=[r.stats(games_played=83)]), "games_played"),
    ("players", r.player(season_stats=[r.stats(points=-1)]), "points"),
    ("players", r.player(season_stats=[r.stats(points="12")]), "points"),
    ("players", r.player(season_stats=[r.stats(minutes=float("nan"))]), "minutes"),
    ("games", r.game(home="BOS", away="bos"), "home_team and away_team must differ"),
    ("games", r.game(start="2026-11-20T19:00:00"), "timezone"),
    ("games", r.game(start="tomorrow"), "start_time"),
    ("games", r.game(start="2031-01-01T00:00:00Z"), "outside season 2026"),
    ("games", r.game(status="final"), "needs home_score and away_score"),
    ("games", r.game(status="final", home_score=100, away_score=100), "needs a winner"),
    ("games", r.game(status="scheduled", home_score=0, away_score=0), "has no score"),
    ("games", r.game(status="live", home_score=10), "both scores or neither"),
    ("games", r.game(status="halftime"), "status"),
    ("games", r.game(period=1), "only a live game has a period and clock (this one is scheduled)"),
    (
        "games",
        r.game(status="final", home_score=1, away_score=2, clock_seconds=0),
        "only a live game has a period and clock",
    ),
    ("games", r.game(status="live", clock_seconds=30), "clock_seconds needs the period"),
    ("games", r.game(status="live", period=11), "period"),
    ("games", r.game(status="live", period=0), "period"),
    ("games", r.game(status="live", period=3, clock_seconds=721), "clock_seconds"),
    ("games", r.game(status="live", period=5, clock_seconds=301), "an overtime lasts 300 seconds"),
    ("games", r.game(status="live", period="3"), "period"),
    ("games", r.game(home_score=-1, status="final", away_score=3), "home_score"),
    ("games", r.game(season=True), "season"),
    ("odds", r.odds(home=0), "never 0 or between -100 and 100"),
    ("odds", r.odds(home=-99), "never 0 or between -100 and 100"),
    ("odds", r.odds(away=99), "never 0 or between -100 and 100"),
    ("odds", r.odds(away=150.5), "away_odds"),  # type: ignore[arg-type]
    ("odds", r.odds(away="150"), "away_odds"),  # type: ignore[arg-type]
    ("odds", r.odds(at="2026-11-19 12:00"), "recorded_at"),
    ("odds", {**r.odds(), "bookmaker": ""}, "bookmaker"),
    ("predictions", r.prediction(p=1.01), "home_win_probability"),
    ("predictions", r.prediction(p=-0.01), "home_win_probability"),
    ("predictions", r.prediction(p=float("inf")), "home_win_probability"),
    ("injuries", r.injury(status="sore"), "status"),
    ("injuries", r.injury(on="2026-11-18T10:00:00Z"), "reported_on is a date"),
    ("injuries", r.injury(on="18/11/2026"), "reported_on is a date"),
    ("injuries", {**r.injury(), "reported_on": 1_700_000_000}, "reported_on is a date"),
    ("injuries", r.injury(note="x" * 256), "description"),
]


@pytest.mark.parametrize(("dataset", "record", "expected"), BAD)
def test_invalid_records_are_refused_with_a_reason(dataset, record, expected):
    assert expected in message(dataset, record)


def test_value_error_prefix_is_dropped():
    (error,) = errors_of("games", r.game(home="BOS", away="BOS"))
    assert error["msg"] == "home_team and away_team must differ"
    assert error["type"] == "value_error"


def test_values_are_normalised():
    (team,) = validate_records(Dataset.TEAMS, [{**r.TEAMS[0], "abbreviation": " bos "}])
    assert team.natural_key() == ("BOS",)
    (line,) = validate_records(
        Dataset.ODDS, [r.odds(bookmaker=" FanDuel", at="2026-11-19T07:00:00-05:00")]
    )
    assert line.natural_key() == ("g-1", "fanduel", datetime(2026, 11, 19, 12, tzinfo=UTC))
    (injury,) = validate_records(Dataset.INJURIES, [r.injury(on="2026-11-18")])
    assert injury.natural_key() == ("p-1", date(2026, 11, 18))


@pytest.mark.parametrize("dataset", list(Dataset))
def test_openapi_examples_are_valid_records(dataset):
    from courtside.routers.ingest import EXAMPLES

    (record,) = EXAMPLES[dataset.value]["value"]["records"]
    assert len(validate_records(dataset, [record])) == 1
