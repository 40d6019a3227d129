"""A user's bets as CSV (money in units with two decimals, times in UTC ISO-8601)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.services.betting import format_units, iter_bets

COLUMNS = (
    "bet_id",
    "placed_at",
    "game_id",
    "tip_off",
    "home",
    "away",
    "side",
    "team",
    "bookmaker",
    "odds",
    "stake",
    "status",
    "profit",
    "settled_at",
)


def _text(value: str) -> str:
    """Neutralise spreadsheet formulas in text that came from outside (CSV injection)."""
    return f"'{value}" if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _plain(cents: int | None) -> str:
    return "" if cents is None else format_units(cents).replace(",", "")


async def bets_csv(session: AsyncSession, user_id: int) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    async for bet in iter_bets(session, user_id):
        game = bet.game
        team = game.home_team if bet.side == "home" else game.away_team
        writer.writerow(
            (
                bet.id,
                bet.placed_at.isoformat(),
                game.id,
                game.start_time.isoformat(),
                _text(game.home_team.abbreviation),
                _text(game.away_team.abbreviation),
                bet.side,
                _text(team.abbreviation),
                _text(bet.bookmaker),
                bet.odds,
                _plain(bet.stake_cents),
                bet.status,
                _plain(bet.profit_cents),
                bet.settled_at.isoformat() if bet.settled_at else "",
            )
        )
    return out.getvalue()
