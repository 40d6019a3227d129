"""Request and response shapes of the betting API (`/v1/me/...`) and the flags API.

Money crosses the API as units with two decimals (`25.5` = 25.50 units); inside, it is
integer cents. Responses carry both (`stake` and `stake_cents`) so clients never round.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from courtside.schemas.common import Schema
from courtside.schemas.league import TeamRef
from courtside.schemas.strict import JsonBool


def units(cents: int) -> float:
    return cents / 100


class BetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    game_id: int = Field(ge=1, le=2_147_483_647)
    side: Literal["home", "away"]
    stake: Decimal = Field(
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="Units with at most two decimals, e.g. 25 or 12.50.",
        examples=[25],
    )

    @property
    def stake_cents(self) -> int:
        return int(self.stake * 100)


class BetGame(Schema):
    id: int
    start_time: datetime
    status: str
    home_team: TeamRef
    away_team: TeamRef
    home_score: int | None
    away_score: int | None


class BetRead(Schema):
    id: int
    game: BetGame
    side: str
    odds: int = Field(description="American odds on the chosen side, as placed.")
    bookmaker: str
    stake_cents: int
    status: str = Field(description="open, won, lost or refunded.")
    profit_cents: int | None = Field(description="Net result once settled.")
    placed_at: datetime
    settled_at: datetime | None
    cancelled_at: datetime | None = Field(
        default=None, description="Set when you cancelled the bet (it is then refunded)."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stake(self) -> float:
        return units(self.stake_cents)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def profit(self) -> float | None:
        return None if self.profit_cents is None else units(self.profit_cents)


class ProfitPointRead(Schema):
    at: datetime
    cumulative_cents: int
    bet_id: int


class SummaryRead(Schema):
    bets: int
    won: int
    lost: int
    refunded: int
    open: int
    record: str = Field(description="Wins-losses, e.g. 7-3.")
    win_pct: float | None = Field(description="Won / (won + lost); null before any result.")
    profit_cents: int
    staked_cents: int = Field(description="Total stake of won and lost bets (ROI's base).")
    roi: float | None = Field(description="Profit / staked; null before any result.")
    open_stake_cents: int
    bankroll_cents: int = Field(description="Available to stake now.")
    starting_bankroll_cents: int
    profit_series: list[ProfitPointRead] = Field(
        description="Cumulative profit after each settled bet, every season, oldest first."
    )


class FlagRead(Schema):
    name: str
    enabled: bool
    description: str
    is_default: bool = Field(description="True when no row exists and the default applies.")
    updated_at: datetime | None


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    enabled: JsonBool = False
    description: str = Field(default="", max_length=255)


class FlagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: JsonBool | None = None
    description: str | None = Field(default=None, max_length=255)
