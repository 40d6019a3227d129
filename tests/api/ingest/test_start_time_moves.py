"""Ingestion moves a game's tip-off earlier, before bets already placed on it.

Decided: the move is accepted (the pipeline's schedule is the truth) and every open bet placed
at or after the new tip-off is refunded, with a notification saying why; bets placed before
it stand and settle as usual (`services/late_bets.py`).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game, Notification, Wallet, utcnow
from courtside.services import placing
from tests.api.auth.helpers import make_user
from tests.helpers import both_dialects

from .conftest import ingest_events
from .records import game, odds, teams

START = 100_000  # a new wallet's balance (BettingSettings' default)


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _world(client: httpx.AsyncClient, session: AsyncSession, write_key: dict[str, str]):
    """A game two hours ahead with a line; bets by `early` (3 h before the new tip-off) and
    `late` (10 minutes ago), then the move: the game started 30 minutes ago."""
    now = utcnow().replace(microsecond=0)
    assert (
        await client.post("/v1/ingest/teams", json={"records": teams()}, headers=write_key)
    ).status_code == 200
    batch = {"records": [game(start=_iso(now + timedelta(hours=2)), season=now.year - 1)]}
    assert (await client.post("/v1/ingest/games", json=batch, headers=write_key)).status_code == 200
    line = {"records": [odds(at=_iso(now - timedelta(hours=5)))]}
    response = await client.post("/v1/ingest/odds", json=line, headers=write_key)
    assert response.status_code == 200, response.text
    game_id = await session.scalar(select(Game.id).where(Game.external_id == "g-1"))
    assert game_id is not None
    early, late = await make_user(session), await make_user(session)
    for user, placed in ((early, now - timedelta(hours=4)), (late, now - timedelta(minutes=10))):
        await placing.place_bet(
            session, user_id=user.id, game_id=game_id, side="home", stake_cents=2_500, now=placed
        )
    await session.commit()
    return now, game_id, early.id, late.id


async def _bet(session: AsyncSession, user_id: int) -> Bet:
    return (
        await session.scalars(
            select(Bet).where(Bet.user_id == user_id).execution_options(populate_existing=True)
        )
    ).one()


async def _balance(session: AsyncSession, user_id: int) -> int:
    wallet = await session.get(Wallet, user_id, populate_existing=True)
    assert wallet is not None
    return wallet.balance_cents


@both_dialects
async def test_bets_placed_after_the_new_tip_off_are_refunded_the_others_stand(
    client, session, write_key
):
    now, game_id, early, late = await _world(client, session, write_key)
    moved = {"records": [game(start=_iso(now - timedelta(minutes=30)), season=now.year - 1)]}
    response = await client.post("/v1/ingest/games", json=moved, headers=write_key)
    assert response.status_code == 200, response.text

    refunded = await _bet(session, late)
    assert (refunded.status, refunded.profit_cents) == ("refunded", 0)
    assert await _balance(session, late) == START
    message = await session.scalar(select(Notification.message).where(Notification.user_id == late))
    assert message is not None and "after the game tipped off" in message
    assert (await _bet(session, early)).status == "open"
    assert await _balance(session, early) == START - 2_500
    event = (await ingest_events(session))[-1]
    assert event.details["bets_refunded_after_tip_off"] == 1

    # The same batch again changes nothing; a bet now is refused (the game has started).
    again = await client.post("/v1/ingest/games", json=moved, headers=write_key)
    assert again.status_code == 200
    assert "bets_refunded_after_tip_off" not in (await ingest_events(session))[-1].details
    newcomer = (await make_user(session)).id
    with pytest.raises(placing.BetRefused) as refused:
        await placing.place_bet(
            session, user_id=newcomer, game_id=game_id, side="away", stake_cents=100
        )
    assert refused.value.code == "game_started"
    await session.rollback()

    # The final result settles the bet that stood; the refunded one stays refunded.
    final = {
        "records": [
            game(
                start=_iso(now - timedelta(minutes=30)),
                season=now.year - 1,
                status="final",
                home_score=101,
                away_score=99,
            )
        ]
    }
    assert (await client.post("/v1/ingest/games", json=final, headers=write_key)).status_code == 200
    assert (await _bet(session, early)).status == "won"
    assert (await _bet(session, late)).status == "refunded"


@both_dialects
async def test_a_later_tip_off_refunds_nothing(client, session, write_key):
    now, _game_id, early, late = await _world(client, session, write_key)
    later = {"records": [game(start=_iso(now + timedelta(hours=5)), season=now.year - 1)]}
    assert (await client.post("/v1/ingest/games", json=later, headers=write_key)).status_code == 200
    assert {(await _bet(session, u)).status for u in (early, late)} == {"open"}
