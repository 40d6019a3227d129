"""Record shapes of the ingestion API (`POST /v1/ingest/{dataset}`), one model per dataset.

Records name each other by natural keys (team abbreviation, game and player `external_id`),
never by database id, so the pipeline can send them without reading ours first. Validation
is strict: unknown fields are refused, datetimes must carry a time zone and are stored in
UTC, American odds are never in (-100, 100), a final game has both scores and a winner.
Whether a referenced team, game or player exists is checked by the service.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from courtside.models import GameStatus, InjuryStatus
from courtside.models.league import CONFERENCES, DIVISIONS
from courtside.models.tables import MAX_PERIOD, QUARTER_SECONDS
from courtside.odds import is_valid_american
from courtside.schemas.common import Schema


class Dataset(StrEnum):
    TEAMS = "teams"
    PLAYERS = "players"
    GAMES = "games"
    ODDS = "odds"
    PREDICTIONS = "predictions"
    INJURIES = "injuries"


DIVISION_CONFERENCE: dict[str, str] = {
    "Atlantic": "East",
    "Central": "East",
    "Southeast": "East",
    "Northwest": "West",
    "Pacific": "West",
    "Southwest": "West",
}
assert set(DIVISION_CONFERENCE) == set(DIVISIONS)
assert set(DIVISION_CONFERENCE.values()) == set(CONFERENCES)


def _upper(value: str) -> str:
    return value.upper()


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range") from None


def _american(value: int) -> int:
    if not is_valid_american(value):
        raise ValueError("American odds are <= -100 or >= +100 (never 0 or between -100 and 100)")
    return value


TeamAbbr = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2,4}$"),
    AfterValidator(_upper),
]
"""A team abbreviation, 2-4 letters, stored upper-case (`bos` is `BOS`)."""
ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
"""The pipeline's identifier of a game or player: 1-64 characters, no spaces."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An ISO-8601 timestamp with a zone (`Z` or an offset), normalised to UTC."""
AmericanOdds = Annotated[
    int, Field(strict=True, ge=-100_000, le=100_000), AfterValidator(_american)
]
FIRST_SEASON = 1946
"""The earliest season the league accepts (the BAA's first, 1946-47)."""
Season = Annotated[int, Field(strict=True, ge=FIRST_SEASON, le=2100)]
NonNegative = Annotated[float, Field(strict=True, ge=0, le=1_000, allow_inf_nan=False)]
Fraction = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Score = Annotated[int, Field(strict=True, ge=0, le=400)]
Period = Annotated[int, Field(strict=True, ge=1, le=MAX_PERIOD)]
ClockSeconds = Annotated[int, Field(strict=True, ge=0, le=QUARTER_SECONDS)]
OVERTIME_SECONDS = 300


class Record(BaseModel):
    """Base of every ingestion record: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def natural_key(self) -> tuple[Any, ...]:
        raise NotImplementedError


class TeamRecord(Record):
    abbreviation: TeamAbbr
    city: Name
    name: Name
    conference: Literal["East", "West"]
    division: Literal["Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest"]

    @model_validator(mode="after")
    def _division_in_conference(self) -> TeamRecord:
        expected = DIVISION_CONFERENCE[self.division]
        if expected != self.conference:
            raise ValueError(
                f"the {self.division} division is in the {expected}, not the {self.conference}"
            )
        return self

    def natural_key(self) -> tuple[Any, ...]:
        return (self.abbreviation,)


class SeasonStatsRecord(Record):
    """Per-game averages of a player over one season (named by its start year)."""

    season: Season
    team: TeamAbbr | None = Field(
        default=None, description="Team of that season; defaults to the player's team."
    )
    games_played: Annotated[int, Field(strict=True, ge=0, le=82)]
    minutes: Annotated[float, Field(strict=True, ge=0, le=48, allow_inf_nan=False)]
    points: NonNegative
    rebounds: NonNegative
    assists: NonNegative
    steals: NonNegative
    blocks: NonNegative
    field_goal_pct: Fraction
    three_point_pct: Fraction
    free_throw_pct: Fraction


class PlayerRecord(Record):
    external_id: ExternalId
    first_name: Name
    last_name: Name
    team: TeamAbbr | None = Field(description="Team abbreviation, or null for a free agent.")
    position: Literal["G", "F", "C", "G-F", "F-G", "F-C", "C-F"]
    jersey: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,2}$")] | None = None
    active: Annotated[bool, Field(strict=True)] = True
    season_stats: list[SeasonStatsRecord] = Field(default_factory=list, max_length=40)

    @field_validator("season_stats")
    @classmethod
    def _one_row_per_season(cls, value: list[SeasonStatsRecord]) -> list[SeasonStatsRecord]:
        seasons = [row.season for row in value]
        if len(seasons) != len(set(seasons)):
            raise ValueError("each season may appear only once")
        return value

    def natural_key(self) -> tuple[Any, ...]:
        return (self.external_id,)


class GameRecord(Record):
    external_id: ExternalId
    season: Season
    start_time: UtcDatetime
    home_team: TeamAbbr
    away_team: TeamAbbr
    status: GameStatus
    home_score: Score | None = None
    away_score: Score | None = None
    period: Period | None = None
    """Live games only: 1-4 the quarters, 5 and up the overtimes."""
    clock_seconds: ClockSeconds | None = None
    """Live games only: the seconds left in `period` (needs `period`)."""

    @model_validator(mode="after")
    def _consistent(self) -> GameRecord:
        if self.home_team == self.away_team:
            raise ValueError("home_team and away_team must differ")
        if self.start_time.year not in (self.season, self.season + 1):
            raise ValueError(
                f"start_time {self.start_time.date()} is outside season {self.season} "
                f"(which runs from {self.season} into {self.season + 1})"
            )
        has_score = (self.home_score is not None, self.away_score is not None)
        if self.status is GameStatus.FINAL:
            if self.home_score is None or self.away_score is None:
                raise ValueError("a final game needs home_score and away_score")
            if self.home_score == self.away_score:
                raise ValueError("a final game needs a winner (scores cannot be equal)")
        elif self.status in (GameStatus.SCHEDULED, GameStatus.POSTPONED) and any(has_score):
            raise ValueError(f"a {self.status.value} game has no score (send null)")
        elif self.status is GameStatus.LIVE and has_score[0] != has_score[1]:
            raise ValueError("send both scores or neither")
        if self.status is not GameStatus.LIVE and (self.period, self.clock_seconds) != (None, None):
            raise ValueError(
                f"only a live game has a period and clock (this one is {self.status.value})"
            )
        if self.clock_seconds is not None and self.period is None:
            raise ValueError("clock_seconds needs the period it counts down")
        if (self.period or 0) > 4 and (self.clock_seconds or 0) > OVERTIME_SECONDS:
            raise ValueError(f"an overtime lasts {OVERTIME_SECONDS} seconds")
        return self

    def natural_key(self) -> tuple[Any, ...]:
        return (self.external_id,)


class OddsRecord(Record):
    """One bookmaker's moneyline for a game at one moment."""

    game: ExternalId
    bookmaker: Annotated[
        str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64)
    ]
    home_odds: AmericanOdds
    away_odds: AmericanOdds
    recorded_at: UtcDatetime

    def natural_key(self) -> tuple[Any, ...]:
        return (self.game, self.bookmaker, self.recorded_at)


class PredictionRecord(Record):
    game: ExternalId
    model_version: Name
    home_win_probability: Fraction

    def natural_key(self) -> tuple[Any, ...]:
        return (self.game, self.model_version)


class InjuryRecord(Record):
    player: ExternalId
    reported_on: date
    status: InjuryStatus
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = ""

    @field_validator("reported_on", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        if isinstance(value, datetime) or not isinstance(value, str | date):
            raise ValueError("reported_on is a date, YYYY-MM-DD")
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError("reported_on is a date, YYYY-MM-DD")
        return value

    def natural_key(self) -> tuple[Any, ...]:
        return (self.player, self.reported_on)


RECORD_MODELS: dict[Dataset, type[Record]] = {
    Dataset.TEAMS: TeamRecord,
    Dataset.PLAYERS: PlayerRecord,
    Dataset.GAMES: GameRecord,
    Dataset.ODDS: OddsRecord,
    Dataset.PREDICTIONS: PredictionRecord,
    Dataset.INJURIES: InjuryRecord,
}


class IngestBatch(BaseModel):
    """The request body: `{"records": [...]}`, each record in the dataset's shape."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = Field(min_length=1, description="The batch, at least one.")


class IngestCounts(Schema):
    inserted: int
    updated: int
    unchanged: int


class IngestResult(Schema):
    """What a batch did. A re-sent batch reports every record `unchanged`."""

    dataset: Dataset
    received: int
    inserted: int
    updated: int
    unchanged: int
    season_stats: IngestCounts | None = Field(
        default=None, description="Players only: the nested season rows."
    )
    bets_settled: int | None = Field(
        default=None, description="Games only: bets settled or refunded by these results."
    )
    event_id: int = Field(description="The event-log row of this write.")
