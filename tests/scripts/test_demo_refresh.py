"""Keeping the local demo alive: a season loaded days ago is brought up to now through
ingestion (finished games final and their bets settled, games in progress live, fresh odds
for the coming games); a current season is left alone."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from courtside.models import AuditEvent, Bet, Game, Notification, OddsSnapshot, User
from courtside.services import placing
from courtside.unit_of_work import unit_of_work
from scripts.demo_data import GAME_LENGTH, DemoSeason, generate_season, load_season
from scripts.demo_refresh import is_stale, refresh, simulate

LOADED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LATER = LOADED + timedelta(days=3)
EVENING = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
"""A moment with games in progress (at LOADED, 10:00 in New York, none are)."""


async def test_a_stale_season_is_refreshed_once(session, cache):
    await load_season(generate_season(seed=3, now=LOADED))
    assert not await is_stale(session, LOADED)
    assert await is_stale(session, LATER)
    # A demo bet on a game that will have been played by then.
    game = await session.scalar(
        select(Game)
        .where(Game.status == "scheduled", Game.start_time > LOADED)
        .order_by(Game.start_time)
        .limit(1)
    )
    user = await session.scalar(select(User).where(User.username == "demo-user"))
    async with unit_of_work() as work:
        await placing.place_bet(
            work.session, user_id=user.id, game_id=game.id, side="home", stake_cents=500,
            now=LOADED,
        )  # fmt: skip
    newest_before = await session.scalar(select(func.max(OddsSnapshot.recorded_at)))

    done = await refresh(now=LATER, seed=3)

    assert done is not None and done.finished > 0 and done.odds > 0 and done.predictions > 0
    assert done.bets_settled == 1
    played = select(func.count(Game.id)).where(
        Game.status == "scheduled", Game.start_time <= LATER - GAME_LENGTH
    )
    assert await session.scalar(played) == 0
    in_progress = await session.scalar(
        select(func.count(Game.id)).where(
            Game.status == "live", Game.start_time > LATER - GAME_LENGTH
        )
    )
    assert in_progress == done.started
    assert await session.scalar(select(func.max(OddsSnapshot.recorded_at))) > newest_before
    bet = await session.scalar(select(Bet).execution_options(populate_existing=True))
    assert bet.status in ("won", "lost")
    assert await session.scalar(select(func.count(Notification.id))) == 1
    actors = set(await session.scalars(select(AuditEvent.actor_name)))
    assert "demo-refresh" in actors  # through ingestion, audited like the pipeline
    assert not await is_stale(session, LATER)
    assert await refresh(now=LATER, seed=3) is None


async def test_simulate_finalises_what_has_tipped_off(session, cache):
    full = generate_season(seed=3, now=EVENING)
    # What the simulation reads: the games and the model's predictions (its odds of each
    # result); the 16,000 odds snapshots and the rosters are not read, so not loaded.
    season = DemoSeason(
        season=full.season, teams=full.teams, games=full.games, predictions=full.predictions
    )
    await load_season(season)
    live = await session.scalar(select(func.count(Game.id)).where(Game.status == "live"))
    assert live > 0
    games, _settled = await simulate(now=EVENING)
    assert games == live
    assert await session.scalar(select(func.count(Game.id)).where(Game.status == "live")) == 0
