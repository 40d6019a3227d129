"""A betting history for a demo account, so "My record" has a chart from the first visit.

The demo season has odds only for upcoming games, so for each of the last `--games` final
(or postponed) games this records a closing line an hour before tip-off (bookmaker
`demo-close`), places a bet through the betting service as of that moment, and settles
everything. Deterministic for a seed; idempotent (games the user already bet on are
skipped, so a second run adds nothing). Without the user (not a local demo database) or
with betting closed it adds nothing and says why.

    python scripts/demo_bets.py --user demo-user [--games 40] [--seed N]   # DATABASE_URL
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_SEED = 4
CLOSING_BOOKMAKER = "demo-close"


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
    session: AsyncSession, *, username: str, games: int = 40, seed: int = DEFAULT_SEED
) -> int:
    """Place and settle bets on the user's behalf on the latest finished games. No commit."""
    from sqlalchemy import select

    from courtside.models import Bet, BetSide, Game, GameStatus, OddsSnapshot, User
    from courtside.services import betting, flags

    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"no user named {username!r}")
    if not await flags.is_enabled(session, flags.BETTING_OPEN):
        raise LookupError("betting is closed (feature flag betting_open)")
    finished = list(
        await session.scalars(
            select(Game)
            .where(Game.status.in_([GameStatus.FINAL.value, GameStatus.POSTPONED.value]))
            .order_by(Game.start_time.desc(), Game.id)
            .limit(games)
        )
    )
    already = set(await session.scalars(select(Bet.game_id).where(Bet.user_id == user.id)))
    rng = random.Random(seed)
    placed = 0
    for game in reversed(finished):
        if game.id in already:
            continue
        closing = game.start_time - timedelta(hours=1)
        home_probability = rng.uniform(0.25, 0.75)
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
        side = _pick(rng, game.status, game.home_score, game.away_score)
        # The game is final now, so the bet is recorded as placed before tip-off, at the
        # closing line, without the checks that would refuse a bet on a finished game.
        odds = line.home_odds if side == "home" else line.away_odds
        assert odds is not None
        await betting.record_bet(
            session,
            wallet=await betting.wallet_for(session, user.id),
            game_id=game.id,
            side=BetSide(side),
            stake_cents=rng.randrange(10, 61) * 100,
            odds=odds,
            bookmaker=line.bookmaker,
            quoted_at=line.recorded_at,
            now=closing,
        )
        settled_at = game.start_time + timedelta(hours=3)
        await betting.settle_games(session, [game.id], now=settled_at, notify=False)
        placed += 1
    return placed


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
        from courtside.errors import ApiError
        from courtside.unit_of_work import unit_of_work

        try:
            async with unit_of_work() as work:
                placed = await seed_bet_history(
                    work.session, username=args.user, games=args.games, seed=args.seed
                )
        except (LookupError, ApiError) as exc:
            return f"no betting history added: {exc}"
        finally:
            await dispose_engine()
        return f"{placed} settled bets added for {args.user}"

    print(asyncio.run(run()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
