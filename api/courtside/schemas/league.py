"""Response schemas of the public league API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, computed_field

from courtside.odds import implied_probability
from courtside.schemas.common import Schema


class TeamRef(Schema):
    id: int
    abbreviation: str
    full_name: str


class TeamRead(Schema):
    id: int
    abbreviation: str
    city: str
    name: str
    full_name: str
    conference: str
    division: str


class PlayerRead(Schema):
    id: int
    external_id: str
    first_name: str
    last_name: str
    full_name: str
    team: TeamRef | None
    position: str
    jersey: str | None
    active: bool


class PlayerSeasonStatsRead(Schema):
    season: int
    team_abbreviation: str | None
    games_played: int
    minutes: float
    points: float
    rebounds: float
    assists: float
    steals: float
    blocks: float
    field_goal_pct: float
    three_point_pct: float
    free_throw_pct: float


class InjuryRead(Schema):
    reported_on: date
    status: str
    description: str


class PlayerDetail(PlayerRead):
    season_stats: list[PlayerSeasonStatsRead]
    injuries: list[InjuryRead]


class MoneylineRead(Schema):
    bookmaker: str
    home_odds: int = Field(description="American odds on the home team.")
    away_odds: int = Field(description="American odds on the away team.")
    recorded_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def home_implied_probability(self) -> float:
        return round(implied_probability(self.home_odds), 4)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def away_implied_probability(self) -> float:
        return round(implied_probability(self.away_odds), 4)


class PredictionRead(Schema):
    model_version: str
    home_win_probability: float
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def away_win_probability(self) -> float:
        return round(1 - self.home_win_probability, 6)


class GameRead(Schema):
    id: int
    external_id: str
    season: int
    start_time: datetime = Field(description="Tip-off, UTC.")
    status: str
    home_team: TeamRef
    away_team: TeamRef
    home_score: int | None
    away_score: int | None
    period: int | None = Field(
        default=None, description="Live games: 1-4 the quarter, 5 and up the overtimes."
    )
    clock_seconds: int | None = Field(
        default=None, description="Live games: the seconds left in the period."
    )


class GameDetail(GameRead):
    latest_odds: list[MoneylineRead] = Field(description="The latest line of each bookmaker.")
    prediction: PredictionRead | None


class GameOdds(Schema):
    game: GameRead
    odds: list[MoneylineRead]


class GamePrediction(Schema):
    game: GameRead
    prediction: PredictionRead


class StandingRow(Schema):
    rank: int
    team: TeamRef
    wins: int
    losses: int
    win_pct: float
    games_behind: float
    streak: str = Field(description="Current streak, e.g. W3 or L1; empty before any game.")
    last_10: str = Field(description="Record over the last ten games, e.g. 7-3.")


class ConferenceStandings(Schema):
    conference: str
    teams: list[StandingRow]


class StandingsRead(Schema):
    season: int | None
    conferences: list[ConferenceStandings]
