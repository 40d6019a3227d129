"""Response of `GET /v1/games/{id}/odds?type=…`: how a game's moneylines moved."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from courtside.schemas.common import Schema


class OddsAggregateType(StrEnum):
    LATEST = "latest"
    AVERAGE_24H = "24h_average"
    DEVIATION_24H = "24h_deviation"
    AVERAGE_7D = "7d_average"
    DEVIATION_7D = "7d_deviation"


AGGREGATE_ALIASES: dict[str, OddsAggregateType] = {
    **{kind.value: kind for kind in OddsAggregateType},
    "24h_devt": OddsAggregateType.DEVIATION_24H,
    "24_average": OddsAggregateType.AVERAGE_24H,
    "7d_devt": OddsAggregateType.DEVIATION_7D,
}
"""Accepted spellings of `type`: the canonical names and the seed API's."""


class OddsAggregate(Schema):
    """One statistic of the snapshots of one bookmaker (or of all, when `bookmaker` is null).

    For `latest` the values are the newest snapshot's (in `overall`, the newest of any
    bookmaker, and `snapshots` counts every snapshot of the game); for `*_average` the mean and for
    `*_deviation` the population standard deviation over the window's snapshots. Values are
    null when there is no snapshot.
    """

    bookmaker: str | None = Field(
        description="null: every bookmaker together. In `overall` of `latest`: whose line it is."
    )
    snapshots: int = Field(description="Snapshots in the window (all until now for `latest`).")
    home_odds: float | None = Field(description="Statistic of the American odds on the home team.")
    away_odds: float | None
    home_probability: float | None = Field(
        description="The same statistic of the implied home-win probability (vig included)."
    )
    away_probability: float | None
    recorded_at: datetime | None = Field(
        default=None, description="`latest` only: when the newest snapshot was taken."
    )


class OddsMovementRead(Schema):
    game_id: int
    type: OddsAggregateType
    window_start: datetime | None = Field(
        description="Exclusive start of the window (now minus 24 h or 7 d); null for `latest`."
    )
    window_end: datetime = Field(
        description="Inclusive end of the window: the server's clock (`latest`: as of then)."
    )
    overall: OddsAggregate
    bookmakers: list[OddsAggregate] = Field(description="One entry per bookmaker, by name.")
