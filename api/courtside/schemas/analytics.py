"""Response shapes of a bettor's analytics (`/v1/me/stats`, `/v1/me/unit`) and of the
model's track record (`/v1/predictions/track-record`). Rates and CLV are fractions
(0.0315 = 3.15 percentage points); money is integer cents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from courtside.schemas.common import Schema


class SliceRead(Schema):
    label: str
    bets: int
    won: int
    lost: int
    record: str = Field(description="Wins-losses, e.g. 7-3.")
    staked_cents: int
    profit_cents: int
    roi: float | None = Field(description="Profit / staked.")


class StreaksRead(Schema):
    current: str = Field(description="W3, L1, or empty before any result.")
    longest_win: int
    longest_loss: int


class BetClvRead(Schema):
    bet_id: int
    odds: int = Field(description="American odds taken.")
    closing_odds: int | None = Field(description="Best closing price on the same side.")
    clv: float | None = Field(
        description="Closing implied probability minus the implied probability taken; "
        "positive = beat the closing line. Null without a pre-game quote."
    )


class StatsPointRead(Schema):
    at: datetime
    bet_id: int
    cumulative_cents: int
    running_clv: float | None = Field(description="Average CLV of the bets so far.")


class BettorStatsRead(Schema):
    won: int
    lost: int
    staked_cents: int = Field(description="Total stake of won and lost bets.")
    profit_cents: int
    roi: float | None
    unit_cents: int = Field(description="Your unit: set with PUT /v1/me/unit.")
    unit_is_default: bool = Field(description="True: 1 % of your starting bankroll.")
    units_won: float = Field(description="Profit / unit.")
    average_odds: int | None = Field(description="Mean decimal price, as American odds.")
    win_rate: float | None = Field(description="Won / (won + lost).")
    break_even_rate: float | None = Field(
        description="Mean implied probability of the prices taken."
    )
    clv_bets: int = Field(description="Decided bets with a closing line.")
    average_clv: float | None
    streaks: StreaksRead
    by_month: list[SliceRead] = Field(description="By tip-off month in your time zone.")
    by_team: list[SliceRead] = Field(description="By the team you backed.")
    by_favourite: list[SliceRead] = Field(description="favourite (odds < 0) / underdog.")
    by_venue: list[SliceRead] = Field(description="home / away: the side you backed.")
    by_odds_band: list[SliceRead]
    bets: list[BetClvRead] = Field(description="Each decided bet's CLV, in settlement order.")
    series: list[StatsPointRead] = Field(
        description="Cumulative profit and running CLV after each decided bet."
    )
    time_zone: str


class UnitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: Decimal | None = Field(
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="Units with at most two decimals; null: back to 1 % of the starting bankroll.",
        examples=[10],
    )

    @property
    def unit_cents(self) -> int | None:
        return None if self.unit is None else int(self.unit * 100)


class UnitRead(Schema):
    cents: int
    is_default: bool

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unit(self) -> float:
        return self.cents / 100


class ScoresRead(Schema):
    games: int
    hits: int
    hit_rate: float
    brier: float = Field(description="Mean (p - outcome)²; lower is better.")
    log_loss: float = Field(description="Mean -ln(probability given to the outcome).")


class TrackRowRead(Schema):
    label: str
    model: ScoresRead | None
    market: ScoresRead | None = Field(description="The closing line, margin removed.")


class BinRead(Schema):
    low: float
    high: float
    games: int
    mean_forecast: float | None
    observed_rate: float | None = Field(description="How often home won in this decile.")


class TrackRecordRead(Schema):
    games: int = Field(description="Final games with a prediction.")
    overall: TrackRowRead
    by_season: list[TrackRowRead]
    by_month: list[TrackRowRead] = Field(description="By tip-off month in the league's zone.")
    model_calibration: list[BinRead]
    market_calibration: list[BinRead]
