"""Results settle bets in the ingesting transaction; writes invalidate the cached reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from courtside.models import Game, User, utcnow
from courtside.models.betting import Bet, Wallet
from courtside.services.placing import place_bet
from tests.api.ingest import records as r
from tests.api.ingest.test_ingest_api import post
from tests.helpers import both_dialects

START = (utcnow() + timedelta(days=1)).replace(microsecond=0)
START_ISO = START.isoformat().replace("+00:00", "Z")


async def _bettor(session, name: str) -> User:
    user = User(username=name, email=f"{name}@example.com", password_hash="x", role="Consumer")
    session.add(user)
    await session.flush()
    return user


async def _slate_with_bets(
    client: Any, session: Any, headers: dict[str, str]
) -> tuple[Game, int, int]:
    """g-1 BOS v NYK tomorrow at -150/+130; alice backs home, bob backs away, 100.00 each."""
    await post(client, "teams", r.teams(), headers)
    await post(client, "games", [r.game("g-1", start=START_ISO)], headers)
    at = (utcnow() - timedelta(hours=1)).isoformat()
    await post(client, "odds", [r.odds("g-1", home=-150, away=130, at=at)], headers)
    game = (await session.scalars(select(Game).where(Game.external_id == "g-1"))).one()
    alice, bob = await _bettor(session, "alice"), await _bettor(session, "bob")
    await place_bet(session, user_id=alice.id, game_id=game.id, side="home", stake_cents=10_000)
    await place_bet(session, user_id=bob.id, game_id=game.id, side="away", stake_cents=10_000)
    await session.commit()
    return game, alice.id, bob.id


async def _state(session, *user_ids: int) -> list[tuple[str, int | None, int]]:
    session.expire_all()
    state = []
    for user_id in user_ids:
        bet = (await session.scalars(select(Bet).where(Bet.user_id == user_id))).one()
        wallet = (await session.scalars(select(Wallet).where(Wallet.user_id == user_id))).one()
        state.append((bet.status, bet.profit_cents, wallet.balance_cents))
    return state


@both_dialects
async def test_final_result_settles_bets_once(client, session, write_key):
    _game, alice, bob = await _slate_with_bets(client, session, write_key)
    start = (await session.scalars(select(Wallet).where(Wallet.user_id == alice))).one()
    bankroll = start.balance_cents + 10_000  # before the stake was taken

    final = r.game("g-1", start=START_ISO, status="final", home_score=112, away_score=104)
    response = await post(client, "games", [final], write_key)
    assert response.status_code == 200, response.text
    assert response.json()["bets_settled"] == 2
    # home won at -150: 100.00 wins 66.66; away at +130 loses the stake
    settled = await _state(session, alice, bob)
    assert settled == [("won", 6_666, bankroll + 6_666), ("lost", -10_000, bankroll - 10_000)]

    again = await post(client, "games", [final], write_key)
    assert again.json()["bets_settled"] == 0
    assert await _state(session, alice, bob) == settled


async def test_postponed_game_refunds(client, session, write_key):
    _game, alice, bob = await _slate_with_bets(client, session, write_key)
    postponed = r.game("g-1", start=START_ISO, status="postponed")
    response = await post(client, "games", [postponed], write_key)
    assert response.json()["bets_settled"] == 2
    (alice_bet, bob_bet) = await _state(session, alice, bob)
    assert alice_bet[:2] == bob_bet[:2] == ("refunded", 0)


async def test_scheduled_and_live_updates_settle_nothing(client, session, write_key):
    _game, alice, bob = await _slate_with_bets(client, session, write_key)
    live = r.game("g-1", start=START_ISO, status="live", home_score=50, away_score=48)
    response = await post(client, "games", [live], write_key)
    assert response.json()["bets_settled"] == 0
    assert [s[0] for s in await _state(session, alice, bob)] == ["open", "open"]


async def test_rejected_results_settle_nothing(client, session, write_key):
    _game, alice, bob = await _slate_with_bets(client, session, write_key)
    final = r.game("g-1", start=START_ISO, status="final", home_score=112, away_score=104)
    response = await post(client, "games", [final, r.game("g-2", "BOS", "???")], write_key)
    assert response.status_code == 422
    assert [s[0] for s in await _state(session, alice, bob)] == ["open", "open"]


async def test_results_invalidate_the_schedule_cache(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    await post(client, "games", [r.game("g-1", start=START_ISO)], write_key)
    game = (await session.scalars(select(Game).where(Game.external_id == "g-1"))).one()
    url = f"/v1/games/{game.id}"
    assert (await client.get(url)).headers["x-cache"] == "miss"
    assert (await client.get(url)).headers["x-cache"] == "hit"

    final = r.game("g-1", start=START_ISO, status="final", home_score=99, away_score=97)
    await post(client, "games", [final], write_key)
    fresh = await client.get(url)
    assert fresh.headers["x-cache"] == "miss"
    assert fresh.json()["status"] == "final"
    assert fresh.json()["home_score"] == 99


async def test_a_resent_batch_keeps_the_cache(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    assert (await client.get("/v1/teams")).headers["x-cache"] == "miss"
    await post(client, "teams", r.teams(), write_key)  # nothing changed
    assert (await client.get("/v1/teams")).headers["x-cache"] == "hit"


async def test_namespaces_per_dataset(client, session, write_key):
    """Rosters invalidate reference data; odds the schedule; teams both."""
    await post(client, "teams", r.teams(), write_key)
    await post(client, "players", [r.player("p-1")], write_key)
    await post(client, "games", [r.game("g-1", start=START_ISO)], write_key)
    game = (await session.scalars(select(Game).where(Game.external_id == "g-1"))).one()
    reference, schedule = "/v1/players", f"/v1/games/{game.id}/odds?type=latest"

    async def warm() -> None:
        for url in (reference, schedule):
            await client.get(url)
            assert (await client.get(url)).headers["x-cache"] == "hit"

    async def status() -> tuple[str, str]:
        return (
            (await client.get(reference)).headers["x-cache"],
            (await client.get(schedule)).headers["x-cache"],
        )

    await warm()
    await post(client, "injuries", [r.injury("p-1")], write_key)
    assert await status() == ("miss", "hit")
    await warm()
    await post(
        client, "odds", [r.odds("g-1", at=(utcnow() - timedelta(hours=2)).isoformat())], write_key
    )
    assert await status() == ("hit", "miss")
    await warm()
    renamed = r.teams()
    renamed[0]["name"] = "Green"
    await post(client, "teams", renamed, write_key)
    assert await status() == ("miss", "miss")


async def test_odds_ingested_show_in_the_movement(client, session, write_key):
    await post(client, "teams", r.teams(), write_key)
    await post(client, "games", [r.game("g-1", start=START_ISO)], write_key)
    game = (await session.scalars(select(Game).where(Game.external_id == "g-1"))).one()
    url = f"/v1/games/{game.id}/odds?type=24h_average"
    assert (await client.get(url)).json()["overall"]["snapshots"] == 0
    lines = [
        r.odds("g-1", home=-120, away=100, at=(utcnow() - timedelta(hours=h)).isoformat())
        for h in (1, 2)
    ]
    lines[1]["home_odds"] = -140
    await post(client, "odds", lines, write_key)
    overall = (await client.get(url)).json()["overall"]
    assert (overall["snapshots"], overall["home_odds"]) == (2, -130.0)
