"""The record's read of the bets (`analytics.bet_rows`) joins each decided bet's closing
quotes: on PostgreSQL a `LATERAL` read in index order (`closing_line.closing_lateral`, issue
23), elsewhere the window over the quotes (`closing_line.closing_ranked`) it replaced. Both
statements give the same rows over the edge cases (quotes after tip-off, one exactly at
tip-off, two bookmakers quoting at the same moment, games without quotes or with only in-play
ones, a refunded bet beside a decided one on the same game, another user's bets); and the
closing quotes are each bookmaker's newest at or before tip-off, computed here in Python from
every snapshot, on both dialects. Over the demo season:
tests/api/demo_season/test_closing_lines.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, Game, OddsSnapshot, Team
from courtside.services import analytics, closing_line
from tests.api.auth.helpers import make_user
from tests.helpers import both_dialects, make_game, make_odds, make_teams, utc

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


async def _rows(session: AsyncSession, user_id: int, *, decided_only: bool, lateral: bool) -> Any:
    statement = analytics._bet_rows_query(decided_only, lateral)
    return (await session.execute(statement, {"user": user_id})).all()


async def _edge_cases(session: AsyncSession) -> list[int]:
    """Two users' bets on games whose quotes test the closing line's edges; their ids."""
    teams = list(await session.scalars(select(Team).order_by(Team.id).limit(4)))
    teams = teams or list((await make_teams(session)).values())  # the demo's, or four
    user, other = await make_user(session), await make_user(session)
    tip = utc(2026, 11, 10, 0, 30)
    games = [
        await make_game(session, teams[n % 4], teams[(n + 1) % 4], tip + timedelta(days=n),
                        status="final", home_score=100 + n, away_score=99)
        for n in range(6)
    ]  # fmt: skip
    quoted, at_tip, in_play_only, unquoted, tied, open_game = games
    for minutes, home, away, book in ((-300, -120, 100, "a"), (-60, -130, 110, "a"),
                                      (-30, -125, 105, "b"), (20, -400, 300, "a"),
                                      (90, -500, 350, "b")):  # fmt: skip
        await make_odds(session, quoted, home, away, quoted.start_time + timedelta(minutes=minutes),
                        bookmaker=book)  # fmt: skip
    await make_odds(session, at_tip, -110, -110, at_tip.start_time - timedelta(hours=2))
    await make_odds(session, at_tip, 150, -170, at_tip.start_time)  # at tip-off: it counts
    in_play = in_play_only.start_time + timedelta(minutes=5)
    await make_odds(session, in_play_only, -200, 170, in_play)
    for book, home in (("z", -105), ("m", -115), ("a", -140)):  # three books, one moment
        await make_odds(session, tied, home, -105, tied.start_time - timedelta(minutes=10),
                        bookmaker=book)  # fmt: skip
    await make_odds(session, tied, -150, 130, tied.start_time - timedelta(hours=3), bookmaker="z")
    await make_odds(session, open_game, -110, -110, open_game.start_time - timedelta(hours=1))

    def bet(owner: int, game: Game, status: str, side: str = "home") -> Bet:
        settled = None if status == "open" else game.start_time + timedelta(hours=3)
        return Bet(user_id=owner, game_id=game.id, side=side, stake_cents=500,
                   odds=-110 if side == "home" else 120, bookmaker="a",
                   odds_recorded_at=game.start_time - timedelta(days=1), status=status,
                   profit_cents={"won": 450, "lost": -500, "open": None}.get(status, 0),
                   placed_at=game.start_time - timedelta(days=1), settled_at=settled)  # fmt: skip

    session.add_all([
        bet(user.id, quoted, "refunded"), bet(user.id, quoted, "won"),
        bet(user.id, at_tip, "lost", "away"), bet(user.id, in_play_only, "won"),
        bet(user.id, unquoted, "lost"), bet(user.id, tied, "won", "away"),
        bet(user.id, open_game, "open"),
        bet(other.id, quoted, "lost", "away"), bet(other.id, tied, "lost"),
    ])  # fmt: skip
    await session.flush()
    return [user.id, other.id]


def _closing(snapshots: Sequence[OddsSnapshot], game: Game) -> list[tuple[Any, ...]]:
    """Each bookmaker's newest quote at or before tip-off, by bookmaker: in Python."""
    newest: dict[str, OddsSnapshot] = {}
    for quote in snapshots:
        if quote.game_id == game.id and quote.recorded_at <= game.start_time:
            kept = newest.get(quote.bookmaker)
            if kept is None or quote.recorded_at > kept.recorded_at:
                newest[quote.bookmaker] = quote
    return [(q.id, q.game_id, q.bookmaker, q.home_odds, q.away_odds, q.recorded_at)
            for _, q in sorted(newest.items())]  # fmt: skip


async def _expected_quotes(session: AsyncSession, user_id: int) -> dict[int, list[Any]]:
    snapshots = list(await session.scalars(select(OddsSnapshot)))
    bets = (await session.execute(select(Bet, Game).join(Game).where(Bet.user_id == user_id))).all()
    return {
        bet.id: _closing(snapshots, game) if bet.status in analytics.DECIDED else []
        for bet, game in bets
    }


@both_dialects
async def test_the_closing_quotes_are_each_books_newest_at_or_before_tip_off(
    session: AsyncSession,
) -> None:
    users = await _edge_cases(session)
    lateral = session.get_bind().dialect.name == "postgresql"
    for user_id in users:
        expected = await _expected_quotes(session, user_id)
        assert sum(map(len, expected.values())) >= 3  # the edges have quotes to find
        for decided_only in (False, True):
            got: dict[int, list[Any]] = {}
            for row in await _rows(session, user_id, decided_only=decided_only, lateral=lateral):
                got.setdefault(row[0], [])
                if row[9] is not None:
                    got[row[0]].append(tuple(row[9:]))
            wanted = {
                bet_id: quotes
                for bet_id, quotes in expected.items()
                if not decided_only or bet_id in got
            }
            assert got == wanted, (user_id, decided_only)
    # The read the pages use: a decided bet whose game has no pre-game quote has no price.
    rows = await analytics.bet_rows(session, users[0], decided_only=False)
    closing = {row.decided.closing_odds for row in rows if row.decided is not None}
    assert None in closing and len(closing) > 1


async def _shown(session: AsyncSession, games: list[int], open_: list[int], lateral: bool) -> Any:
    statement = closing_line._shown_query(lateral)
    return (await session.execute(statement, {"games": games, "open": open_})).all()


@both_dialects
async def test_the_shown_quotes_are_the_newest_or_the_closing_ones(session: AsyncSession) -> None:
    """The board's markets (`shown_markets`): an open game's newest quote per book, a started
    game's newest at or before tip-off, computed here in Python from every snapshot."""
    await _edge_cases(session)
    lateral = session.get_bind().dialect.name == "postgresql"
    games = list(await session.scalars(select(Game).order_by(Game.id)))
    snapshots = list(await session.scalars(select(OddsSnapshot)))
    ids = [game.id for game in games]
    for open_ in ([], ids[::2], ids):
        expected = []
        for game in games:
            cut = game.start_time if game.id not in open_ else datetime.max.replace(tzinfo=UTC)
            expected += _closing(snapshots, Game(id=game.id, start_time=cut))
        got = [tuple(row) for row in await _shown(session, ids, open_, lateral)]
        assert got == expected, open_
        assert len(got) > 5


async def _closing_rows(session: AsyncSession, games: list[int], lateral: bool) -> Any:
    statement = closing_line._closing_query(lateral)
    return (await session.execute(statement, {"games": games})).all()


@both_dialects
async def test_the_closing_markets_are_each_books_newest_at_or_before_tip_off(
    session: AsyncSession,
) -> None:
    """`closing_markets` (the track record's and the CSV's closing lines) on both dialects,
    against the quotes computed here in Python."""
    await _edge_cases(session)
    games = list(await session.scalars(select(Game).order_by(Game.id)))
    snapshots = list(await session.scalars(select(OddsSnapshot)))
    markets = await closing_line.closing_markets(session, games)
    got = {}
    for game_id, market in markets.items():
        rows = [quote for quote in market.quotes if isinstance(quote, closing_line.QuoteRow)]
        assert len(rows) == len(market.quotes)  # plain rows, no ORM snapshot
        got[game_id] = [(q.id, q.game_id, q.bookmaker, q.home_odds, q.away_odds, q.recorded_at)
                        for q in rows]  # fmt: skip
    expected = {game.id: quotes for game in games if (quotes := _closing(snapshots, game))}
    assert got == expected
    assert len(got) >= 3
