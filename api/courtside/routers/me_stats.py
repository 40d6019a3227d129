"""The signed-in user's analytics under /v1/me: `GET /v1/me/stats` and the unit they count
results in (`PUT /v1/me/unit`). Per user, so never cached (`Cache-Control: private,
no-store`)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from courtside.auth.deps import CurrentUser
from courtside.cache_control import PRIVATE
from courtside.db import SessionDep
from courtside.schemas.analytics import (
    BetClvRead,
    BettorStatsRead,
    SliceRead,
    StatsPointRead,
    StreaksRead,
    UnitRead,
    UnitUpdate,
)
from courtside.schemas.common import error_responses
from courtside.services import analytics, units
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(prefix="/v1/me", tags=["my bets"], responses=error_responses(401, 422))


def _slices(rows: list[analytics.Slice]) -> list[SliceRead]:
    return [SliceRead.model_validate(row) for row in rows]


@router.get("/stats", response_model=BettorStatsRead)
async def my_stats(user: CurrentUser, session: SessionDep, response: Response) -> BettorStatsRead:
    """Your analytics over your won and lost bets: ROI, units won, average odds, win rate
    against the break-even rate, closing line value (per bet and on average), breakdowns
    by month, team, favourite/underdog, home/away and odds band, streaks, and the series
    of cumulative profit with the running CLV."""
    response.headers.update(PRIVATE)
    zone = await analytics.zone_of(session, user.id)
    stats = await analytics.bettor_stats(session, user.id, zone=zone)
    parts = stats.breakdowns
    return BettorStatsRead(
        won=stats.won,
        lost=stats.lost,
        staked_cents=stats.staked_cents,
        profit_cents=stats.profit_cents,
        roi=stats.roi,
        unit_cents=stats.unit_cents,
        unit_is_default=stats.unit_is_default,
        units_won=stats.units_won,
        average_odds=stats.average_odds,
        win_rate=stats.win_rate,
        break_even_rate=stats.break_even_rate,
        clv_bets=stats.clv_bets,
        average_clv=stats.average_clv,
        streaks=StreaksRead.model_validate(stats.streaks),
        by_month=_slices(parts.month),
        by_team=_slices(parts.team),
        by_favourite=_slices(parts.price),
        by_venue=_slices(parts.venue),
        by_odds_band=_slices(parts.odds_band),
        bets=[BetClvRead.model_validate(bet) for bet in stats.bets],
        series=[StatsPointRead.model_validate(point) for point in stats.series],
        time_zone=str(zone.key),
    )


@router.put("/unit", response_model=UnitRead)
async def set_my_unit(
    body: UnitUpdate, user: CurrentUser, work: UnitOfWorkDep, response: Response
) -> UnitRead:
    """Set the stake size your results are counted in ("units won"); `null` goes back to
    the default, 1 % of your starting bankroll. 422 for a unit that is not positive or is
    more than the largest stake allowed."""
    response.headers.update(PRIVATE)
    unit = await units.set_unit(work.session, user.id, body.unit_cents)
    return UnitRead.model_validate(unit)
