"""Issue 25: the demo shows every feature. A loaded demo season plus the demo account's
history give a final game a charted line, the track record games on both sides (model and
market), and the record's analytics a row in every breakdown. (The season is loaded once for
this directory: conftest.py.)"""

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from courtside.models import Bet, Game, OddsSnapshot
from courtside.services import analytics, track_record
from scripts.demo_bets import EARLY_QUOTE, seed_bet_history
from tests.api.demo_season.season import NOW

ZONE = ZoneInfo("America/New_York")


async def test_the_demo_fills_the_track_record_and_every_breakdown(session, cache):
    added = await seed_bet_history(session, username="demo-user", games=40, now=NOW)
    assert added == 40

    # A final game's page has a line quoted more than twice to chart.
    final = await session.scalar(select(Game.id).where(Game.status == "final").limit(1))
    quotes = await session.scalar(
        select(func.count(OddsSnapshot.id)).where(OddsSnapshot.game_id == final)
    )
    assert quotes is not None and quotes > 2

    record = await track_record.model_track_record(session, zone=ZONE)
    assert record.overall.model is not None and record.overall.market is not None
    assert record.overall.model.games > 100
    assert record.overall.market.games == record.overall.model.games
    assert len(record.by_month) >= 2
    assert sum(b.games > 0 for b in record.model_calibration) >= 3

    user_id = await session.scalar(select(Bet.user_id).limit(1))
    assert user_id is not None
    stats = await analytics.bettor_stats(session, user_id, zone=ZONE)
    parts = stats.breakdowns
    assert len(parts.month) >= 2  # Oct 20 to Dec 6: spread over the season
    assert len(parts.team) >= 10
    assert [row.label for row in parts.price] == ["favourite", "underdog"]
    assert [row.label for row in parts.venue] == ["home", "away"]
    assert len(parts.odds_band) == 4
    # Bets at a quote a day or more before tip-off: the line moved after, both ways.
    clvs = [bet.clv for bet in stats.bets if bet.clv is not None]
    assert len(clvs) == len(stats.bets)
    assert any(c > 0 for c in clvs) and any(c < 0 for c in clvs)
    placed = await session.execute(
        select(Bet.placed_at, Game.start_time).join(Game, Game.id == Bet.game_id)
    )
    assert all(at <= start - EARLY_QUOTE for at, start in placed.all())
    assert stats.streaks.longest_win >= 1 and stats.streaks.longest_loss >= 1
    assert all(point.at <= NOW for point in stats.series)  # demo history lies in the past
