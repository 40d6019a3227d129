"""The signed-in user's simulated bets under /v1/me: list, place, one bet, summary, CSV.

Responses are per user, so never cached (`Cache-Control: private, no-store`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from courtside.auth.deps import CurrentUser, actor_for_user
from courtside.cache_control import PRIVATE
from courtside.db import SessionDep
from courtside.domain_errors import NotFound
from courtside.models import Bet
from courtside.schemas.betting import BetCreate, BetRead, ProfitPointRead, SummaryRead
from courtside.schemas.common import Page, PageDep, error_responses
from courtside.services import bet_record, placing
from courtside.services.bet_export import bets_csv
from courtside.unit_of_work import UnitOfWorkDep

router = APIRouter(prefix="/v1/me", tags=["my bets"], responses=error_responses(401, 422))

StatusQuery = Annotated[
    Literal["open", "won", "lost", "refunded"] | None,
    Query(description="Only bets with this status."),
]


def _private(response: Response) -> None:
    response.headers.update(PRIVATE)


@router.get("/bets", response_model=Page[BetRead])
async def list_my_bets(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    response: Response,
    status: StatusQuery = None,
) -> Page[BetRead]:
    """Your bets, newest first."""
    _private(response)
    result = await bet_record.list_bets(session, user.id, page, status=status)
    return Page[BetRead](
        items=[BetRead.model_validate(bet) for bet in result.items],
        total=result.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/bets",
    response_model=BetRead,
    status_code=201,
    responses=error_responses(404, 409),
)
async def place_my_bet(
    body: BetCreate, user: CurrentUser, work: UnitOfWorkDep, response: Response
) -> BetRead:
    """Place a simulated bet at the game's current line.

    Refused with 409 when betting is closed, the game has started or is not scheduled,
    there are no odds, you already bet on the game, or the stake is more than your
    bankroll; 422 for a stake that is not positive; 404 for an unknown game.
    """
    bet = await placing.place_bet(
        work.session,
        user_id=user.id,
        game_id=body.game_id,
        side=body.side,
        stake_cents=body.stake_cents,
    )
    _private(response)
    response.headers["Location"] = f"/v1/me/bets/{bet.id}"
    return BetRead.model_validate(await _my_bet(work.session, user.id, bet.id))


async def _my_bet(session: SessionDep, user_id: int, bet_id: int) -> Bet:
    bet = await bet_record.get_bet(session, user_id, bet_id)
    if bet is None:
        raise NotFound("bet", bet_id)
    return bet


@router.get("/bets.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_my_bets(user: CurrentUser, session: SessionDep) -> Response:
    """Every bet you placed, as CSV (money in units)."""
    body = await bets_csv(session, user.id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            **PRIVATE,
            "Content-Disposition": f'attachment; filename="courtside-bets-{user.username}.csv"',
        },
    )


@router.get("/bets/{bet_id}", response_model=BetRead, responses=error_responses(404))
async def get_my_bet(
    bet_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    user: CurrentUser,
    session: SessionDep,
    response: Response,
) -> BetRead:
    """One of your bets (another user's bet is 404, as if it did not exist)."""
    _private(response)
    return BetRead.model_validate(await _my_bet(session, user.id, bet_id))


@router.post("/bets/{bet_id}/cancel", response_model=BetRead, responses=error_responses(404, 409))
async def cancel_my_bet(
    bet_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    user: CurrentUser,
    work: UnitOfWorkDep,
    response: Response,
) -> BetRead:
    """Cancel one of your open bets before tip-off: the stake goes back to your bankroll
    and the bet is `refunded` with `cancelled_at` set. 409 once the game has tipped off or
    the bet is settled."""
    await placing.cancel_bet(
        work.session, user_id=user.id, bet_id=bet_id, actor=actor_for_user(user)
    )
    _private(response)
    return BetRead.model_validate(await _my_bet(work.session, user.id, bet_id))


@router.get("/summary", response_model=SummaryRead)
async def my_summary(user: CurrentUser, session: SessionDep, response: Response) -> SummaryRead:
    """Your record: W-L, win %, profit, ROI, bankroll and cumulative profit over time."""
    _private(response)
    summary = await bet_record.summary(session, user.id)
    series = await bet_record.profit_series(session, user.id)
    return SummaryRead(
        bets=summary.bets,
        won=summary.won,
        lost=summary.lost,
        refunded=summary.refunded,
        open=summary.open,
        record=summary.record,
        win_pct=summary.win_pct,
        profit_cents=summary.profit_cents,
        staked_cents=summary.staked_cents,
        roi=summary.roi,
        open_stake_cents=summary.open_stake_cents,
        bankroll_cents=summary.bankroll_cents,
        starting_bankroll_cents=summary.starting_bankroll_cents,
        profit_series=[ProfitPointRead.model_validate(point) for point in series],
    )
