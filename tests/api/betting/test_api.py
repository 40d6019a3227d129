"""The JSON betting API under /v1/me: placing, refusing, listing, summary and CSV."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet
from courtside.services import placing, settlement
from courtside.services.flags import BETTING_OPEN
from tests.api.auth.helpers import make_user, user_headers
from tests.api.betting.factories import csrf_from, make_slate, set_flag, sign_in
from tests.helpers import both_dialects


async def _bets(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Bet.id))) or 0)


@both_dialects
async def test_place_list_and_read_a_bet(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    game = (await make_slate(session, home_odds=-150, away_odds=130)).games[0]
    await session.commit()
    headers = user_headers(user)

    response = await client.post(
        "/v1/me/bets",
        json={"game_id": game.id, "side": "away", "stake": 12.5},
        headers=headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/me/bets/{body['id']}"
    assert response.headers["cache-control"] == "private, no-store"
    assert body["side"] == "away"
    assert (body["odds"], body["stake"], body["stake_cents"]) == (130, 12.5, 1250)
    assert (body["status"], body["profit"], body["settled_at"]) == ("open", None, None)
    assert body["game"]["home_team"]["abbreviation"] == "BOS"

    listed = (await client.get("/v1/me/bets", headers=headers)).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == body["id"]
    assert (await client.get("/v1/me/bets?status=won", headers=headers)).json()["total"] == 0
    one = await client.get(f"/v1/me/bets/{body['id']}", headers=headers)
    assert one.json() == body

    someone_else = await make_user(session)
    await session.commit()
    hidden = await client.get(f"/v1/me/bets/{body['id']}", headers=user_headers(someone_else))
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/v1/me/bets", "/v1/me/summary", "/v1/me/bets.csv", "/v1/me/bets/1"]
)
async def test_anonymous_callers_get_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_anonymous_cannot_place_a_bet(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/me/bets", json={"game_id": 1, "side": "home", "stake": 5})
    assert response.status_code == 401


GAME = object()


@pytest.mark.parametrize(
    "payload",
    [
        {"side": "home", "stake": 10},
        {"game_id": "x", "side": "home", "stake": 10},
        {"game_id": 0, "side": "home", "stake": 10},
        {"game_id": GAME, "side": "draw", "stake": 10},
        {"game_id": GAME, "side": "home", "stake": 0},
        {"game_id": GAME, "side": "home", "stake": -5},
        {"game_id": GAME, "side": "home", "stake": 1.234},
        {"game_id": GAME, "side": "home", "stake": "ten"},
        {"game_id": GAME, "side": "home", "stake": 10, "odds": 500},
        {"game_id": GAME, "side": "home"},
    ],
)
async def test_malformed_bets_are_422_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, payload: dict[str, object]
) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    await session.commit()
    body = {key: game.id if value is GAME else value for key, value in payload.items()}
    response = await client.post("/v1/me/bets", json=body, headers=user_headers(user))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert await _bets(session) == 0


async def test_refused_bets_are_409_with_a_message_a_person_understands(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    first, second = (await make_slate(session, games=2)).games
    await session.commit()
    headers = user_headers(user)

    async def place(game_id: int, stake: float) -> httpx.Response:
        return await client.post(
            "/v1/me/bets",
            json={"game_id": game_id, "side": "home", "stake": stake},
            headers=headers,
        )

    assert (await place(first.id, 100)).status_code == 201
    duplicate = await place(first.id, 100)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == {
        "code": "duplicate_bet",
        "message": "You already have a bet on this game.",
        "details": {"bet_id": duplicate.json()["error"]["details"]["bet_id"]},
    }
    too_much = await place(second.id, 900.01)
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "insufficient_bankroll"
    assert "900.00 units" in too_much.json()["error"]["message"]
    unknown = await place(987_654, 5)
    assert unknown.status_code == 404

    await set_flag(session, BETTING_OPEN, False)
    await session.commit()
    closed = await place(second.id, 5)
    assert closed.status_code == 409
    assert closed.json()["error"]["message"] == "Betting is closed at the moment. Try again later."
    assert await _bets(session) == 1


@both_dialects
async def test_summary_and_csv_export(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    won_game, open_game = (await make_slate(session, games=2, home_odds=-110)).games
    await placing.place_bet(
        session, user_id=user.id, game_id=won_game.id, side="home", stake_cents=11_000
    )
    await placing.place_bet(
        session, user_id=user.id, game_id=open_game.id, side="away", stake_cents=5_000
    )
    won_game.status, won_game.home_score, won_game.away_score = "final", 120, 100
    await session.flush()
    await settlement.settle_games(session, [won_game.id])
    await session.commit()
    headers = user_headers(user)

    summary = (await client.get("/v1/me/summary", headers=headers)).json()
    assert (summary["record"], summary["won"], summary["lost"], summary["open"]) == ("1-0", 1, 0, 1)
    assert summary["win_pct"] == 1.0
    assert summary["profit_cents"] == 10_000
    assert summary["roi"] == pytest.approx(10_000 / 11_000)
    assert summary["bankroll_cents"] == 100_000 + 10_000 - 5_000
    assert [p["cumulative_cents"] for p in summary["profit_series"]] == [10_000]

    response = await client.get("/v1/me/bets.csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    settled = next(row for row in rows if row["status"] == "won")
    assert (settled["team"], settled["odds"], settled["stake"], settled["profit"]) == (
        "BOS",
        "-110",
        "110.00",
        "100.00",
    )
    still_open = next(row for row in rows if row["status"] == "open")
    assert (still_open["side"], still_open["profit"], still_open["settled_at"]) == ("away", "", "")


async def test_the_session_cookie_works_with_the_csrf_header(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    game = (await make_slate(session)).games[0]
    await session.commit()
    sign_in(client, user)
    body = {"game_id": game.id, "side": "home", "stake": 5}

    without = await client.post("/v1/me/bets", json=body)
    assert without.status_code == 403
    assert without.json()["error"]["code"] == "csrf_failed"
    token = csrf_from((await client.get("/", headers={"Accept": "text/html"})).text)
    placed = await client.post("/v1/me/bets", json=body, headers={"X-CSRF-Token": token})
    assert placed.status_code == 201
    assert await _bets(session) == 1
