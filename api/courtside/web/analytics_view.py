"""What the record page's analytics section shows (`web.analytics_html`): the bettor's
figures from `services.analytics` in the viewer's zone, the running-CLV chart beside the
profit chart, and the breakdown tables in the order the page lists them."""

from __future__ import annotations

from dataclasses import dataclass

from courtside.services.analytics import BettorStats, Slice
from courtside.web.analytics_charts import ClvChart, clv_chart, points_label
from courtside.web.formatting import Formatter


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    label: str
    """The first column's heading."""
    rows: list[Slice]


@dataclass(frozen=True)
class AnalyticsView:
    stats: BettorStats
    clv_chart: ClvChart | None
    breakdowns: list[Breakdown]

    @staticmethod
    def points(value: float | None) -> str:
        return "\u2013" if value is None else points_label(value)

    @property
    def units_won(self) -> str:
        return f"{self.stats.units_won:+.2f}"


def analytics_view(stats: BettorStats, fmt: Formatter) -> AnalyticsView:
    """`stats`: `analytics.stats_of` in the viewer's zone (the record page computes them from
    its one read of the user's bets, `record_reads.record_rows`)."""
    parts = stats.breakdowns
    return AnalyticsView(
        stats=stats,
        clv_chart=clv_chart(stats.series, fmt.zone),
        breakdowns=[
            Breakdown("month", "By month", "Month", parts.month),
            Breakdown("team", "By team backed", "Team", parts.team),
            Breakdown("price", "Favourite or underdog", "Price", parts.price),
            Breakdown("venue", "Home or away", "Side", parts.venue),
            Breakdown("band", "By odds band", "Odds", parts.odds_band),
        ],
    )
