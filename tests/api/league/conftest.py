"""A small league world: four teams, a few players, games on two days, odds, predictions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from courtside.models import Game, Injury, Player, Team
from tests.helpers import (
    day,
    make_game,
    make_odds,
    make_player,
    make_prediction,
    make_season_stats,
    make_teams,
    utc,
)


@dataclass
class World:
    teams: dict[str, Team]
    today_games: list[Game]
    final_games: list[Game]
    players: list[Player]


@pytest.fixture
async def world(session) -> World:
    teams = await make_teams(session)
    bos, nyk, lal, den = teams["BOS"], teams["NYK"], teams["LAL"], teams["DEN"]
    tatum = await make_player(
        session, bos, first_name="Jayson", last_name="Tatum", position="F", jersey="0"
    )
    players = [
        tatum,
        await make_player(session, bos, first_name="Jaylen", last_name="Brown", position="G-F"),
        await make_player(session, nyk, first_name="Jalen", last_name="Brunson", position="G"),
        await make_player(session, None, first_name="Free", last_name="Agent_100%", position="C"),
    ]
    make_season_stats(session, tatum, bos)
    session.add(
        Injury(
            player_id=tatum.id,
            reported_on=day("2026-11-20"),
            status="questionable",
            description="Ankle",
        )
    )
    # 2026-11-23 in New York: 19:30 EST = 00:30 UTC on the 24th; one game late on the 23rd UTC
    # that is still the 23rd in New York, and one at 02:00 UTC on the 23rd (= the 22nd there).
    g1 = await make_game(session, bos, nyk, utc(2026, 11, 24, 0, 30))
    g2 = await make_game(session, lal, den, utc(2026, 11, 24, 3, 0))
    await make_game(
        session, den, bos, utc(2026, 11, 23, 2, 0), status="final", home_score=100, away_score=90
    )
    await make_odds(session, g1, -150, 130, utc(2026, 11, 22, 12), bookmaker="alpha")
    await make_odds(session, g1, -160, 140, utc(2026, 11, 23, 12), bookmaker="alpha")
    await make_odds(session, g1, -155, 135, utc(2026, 11, 23, 6), bookmaker="beta")
    await make_prediction(session, g1, 0.61)
    finals = [
        await make_game(
            session, bos, nyk, utc(2026, 11, 1, 0), status="final", home_score=110, away_score=100
        ),
        await make_game(
            session, nyk, bos, utc(2026, 11, 3, 0), status="final", home_score=120, away_score=101
        ),
        await make_game(
            session, lal, den, utc(2026, 11, 5, 0), status="final", home_score=99, away_score=98
        ),
        await make_game(
            session, bos, lal, utc(2026, 11, 7, 0), status="final", home_score=105, away_score=95
        ),
    ]
    await session.commit()
    return World(teams=teams, today_games=[g1, g2], final_games=finals, players=players)
