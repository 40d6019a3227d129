"""A betting history for a demo account, so "My record" has a chart from the first visit.

For `--games` games that finished (final or postponed) long enough ago to be settled by
now, spread evenly over the season (so the record's months, teams, prices and odds bands
all have rows), this places a bet through the betting service before tip-off and settles
it three hours after tip-off, with the notification a real settlement makes (and its
e-mail, if the account asked for them). A game with a pre-game odds history (the demo
season keeps it, issue 25) is bet at one of its quotes a day or more before tip-off, so
the bet beats the closing line or not (closing line value); a game without one gets a
closing line an hour before tip-off (bookmaker `demo-close`) and the bet is placed at it.
Deterministic for a seed.

Written **once**, and **only into an account without activity of its own**: an account
with any bet (demo or its own) or a bankroll reset gets nothing, so a restart of `make run`
never adds bets beside the person's, and every demo bet lies in the past (placed and
settled before now). The account is also put on the leaderboard (opted in, under its
display name, "Demo User" if it has none), so the first visit shows a ranked player.
Without the user (not a local demo database), with betting closed, or for an account
with activity it adds nothing and says why.

    python scripts/demo_bets.py --user demo-user [--games 40] [--seed N]   # DATABASE_URL
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from courtside.models import Game, User

DEFAULT_SEED = 4
CLOSING_BOOKMAKER = "demo-close"
CLOSING_BEFORE_TIP_OFF = timedelta(hours=1)
SETTLED_AFTER_TIP_OFF = timedelta(hours=3)
DEMO_DISPLAY_NAME = "Demo User"
EARLY_QUOTE = timedelta(days=1)
"""A bet on a game with an odds history is placed at a quote at least this long before
tip-off: the line moves after it, so the bet has a closing line value."""


def _spread(games: list[Game], count: int) -> list[Game]:
    """`count` of the games (oldest first), evenly spaced from the first to the last."""
    if len(games) <= count:
        return games
    if count <= 1:
        return games[-count:] if count else []
    step = (len(games) - 1) / (count - 1)
    return [games[round(i * step)] for i in range(count)]


class NothingAdded(LookupError):
    """No history was written; the message says why."""


def _american(probability: float) -> int:
    """Fair odds for a win probability, rounded to 5 and kept on the valid side of +-100."""
    if probability >= 0.5:
        odds = -round(100 * probability / (1 - probability) / 5) * 5
        return min(odds, -100)
    odds = round(100 * (1 - probability) / probability / 5) * 5
    return max(odds, 100)


TIPSTER_HIT_RATE = 0.58
"""How often the demo account backs the eventual winner (a decent, not magic, tipster)."""


def _pick(rng: random.Random, status: str, home_score: int | None, away_score: int | None) -> str:
    if status != "final" or home_score is None or away_score is None:
        return rng.choice(("home", "away"))
    winner, loser = ("home", "away") if home_score > away_score else ("away", "home")
    return winner if rng.random() < TIPSTER_HIT_RATE else loser


async def seed_bet_history(
    session: AsyncSession,
    *,
    username: str,
    games: int = 40,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
) -> int:
    """Place and settle bets on the user's behalf on the latest games settled by `now`;
    raise `NothingAdded` (saying why) for an account with activity of its own. No commit."""
    from sqlalchemy import exists, select

    from courtside.http_cache import MARKETS_NAMESPACE, ODDS_HISTORY, RECORDS, SCHEDULE
    from courtside.models import BankrollReset, Bet, BetSide, Game, GameStatus, OddsSnapshot, User
    from courtside.models import utcnow as current_time
    from courtside.services import flags, placing, settlement, wallets
    from courtside.unit_of_work import invalidate_on_commit

    now = now or current_time()
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NothingAdded(f"no user named {username!r}")
    if not await flags.is_enabled(session, flags.BETTING_OPEN):
        raise NothingAdded("betting is closed (feature flag betting_open)")
    active = await session.scalar(
        select(
            exists().where(Bet.user_id == user.id)
            | exists().where(BankrollReset.user_id == user.id)
        )
    )
    if active:
        raise NothingAdded(
            f"{username} has bets or a bankroll reset already (a demo history is written "
            "once, only into an account without activity)"
        )
    finished = _spread(
        list(
            await session.scalars(
                select(Game)
                .where(
                    Game.status.in_([GameStatus.FINAL.value, GameStatus.POSTPONED.value]),
                    Game.start_time <= now - SETTLED_AFTER_TIP_OFF,
                )
                .order_by(Game.start_time, Game.id)
            )
        ),
        games,
    )
    rng = random.Random(seed)
    for game in finished:
        closing = game.start_time - CLOSING_BEFORE_TIP_OFF
        home_probability = rng.uniform(0.25, 0.75)
        early = list(
            await session.scalars(
                select(OddsSnapshot)
                .where(
                    OddsSnapshot.game_id == game.id,
                    OddsSnapshot.recorded_at <= game.start_time - EARLY_QUOTE,
                )
                .order_by(OddsSnapshot.recorded_at, OddsSnapshot.bookmaker)
            )
        )
        line = rng.choice(early) if early else None
        if line is None:
            line = await session.scalar(
                select(OddsSnapshot).where(
                    OddsSnapshot.game_id == game.id, OddsSnapshot.bookmaker == CLOSING_BOOKMAKER
                )
            )
        if line is None:
            line = OddsSnapshot(
                game_id=game.id,
                bookmaker=CLOSING_BOOKMAKER,
                home_odds=_american(min(home_probability + 0.02, 0.97)),
                away_odds=_american(min(1 - home_probability + 0.02, 0.97)),
                recorded_at=closing,
            )
            session.add(line)
            await session.flush()
            # a line the pages and the public API may have cached without it
            invalidate_on_commit(session, SCHEDULE, MARKETS_NAMESPACE, ODDS_HISTORY, RECORDS)
        side = _pick(rng, game.status, game.home_score, game.away_score)
        # The game is final now, so the bet is recorded as placed before tip-off, at the
        # quote's time and price, without the checks that would refuse a bet on a finished
        # game.
        odds = line.home_odds if side == "home" else line.away_odds
        assert odds is not None
        await placing.record_bet(
            session,
            wallet=await wallets.wallet_for(session, user.id),
            game_id=game.id,
            side=BetSide(side),
            stake_cents=rng.randrange(10, 61) * 100,
            odds=odds,
            bookmaker=line.bookmaker,
            quoted_at=line.recorded_at,
            now=line.recorded_at,
        )
        # Settled as it would have been, with the notification a settlement makes.
        settled_at = game.start_time + SETTLED_AFTER_TIP_OFF
        await settlement.settle_games(session, [game.id], now=settled_at)
    if finished:
        await _show_on_leaderboard(session, user)
    return len(finished)


async def _show_on_leaderboard(session: AsyncSession, user: User) -> None:
    """Opt the account in under its display name (`DEMO_DISPLAY_NAME` if it has none and
    nobody else took it; else it stays off the board)."""
    from sqlalchemy import select

    from courtside.models import User

    if user.display_name is None:
        taken = await session.scalar(select(User.id).where(User.display_name == DEMO_DISPLAY_NAME))
        if taken is not None:
            return
        user.display_name = DEMO_DISPLAY_NAME
    user.leaderboard_opt_in = True
    await session.flush()


def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default="demo-user")
    parser.add_argument("--games", type=int, default=40)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    async def run() -> str:
        from courtside.db import dispose_engine
        from courtside.domain_errors import DomainError
        from courtside.errors import ApiError
        from courtside.observability import configure_logging
        from courtside.settings import get_app_settings
        from courtside.unit_of_work import unit_of_work

        configure_logging(get_app_settings().log_level)  # e-mails on the log backend show
        try:
            async with unit_of_work() as work:
                placed = await seed_bet_history(
                    work.session, username=args.user, games=args.games, seed=args.seed
                )
        except (NothingAdded, ApiError, DomainError) as exc:
            return f"no betting history added: {exc}"
        finally:
            await dispose_engine()
        return f"{placed} settled bets added for {args.user}"

    print(asyncio.run(run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
