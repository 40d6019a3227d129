"""A user's bets as CSV: money in units with two decimals, times as ISO 8601 to the second
with the UTC offset of the reader's time zone (UTC unless the caller gives one)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from courtside.services.betting import BetFilters, format_units, iter_bets

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


def _moment(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).isoformat(timespec="seconds")


async def bets_csv(
    session: AsyncSession,
    user_id: int,
    *,
    filters: BetFilters | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """The bets `filters` selects (default: all), in the record's order."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    zone = zone or ZoneInfo("UTC")
    async for bet in iter_bets(session, user_id, filters=filters):
        game = bet.game
        team = game.home_team if bet.side == "home" else game.away_team
        writer.writerow(
            (
                bet.id,
                _moment(bet.placed_at, zone),
                game.id,
                _moment(game.start_time, zone),
                _text(game.home_team.abbreviation),
                _text(game.away_team.abbreviation),
                bet.side,
                _text(team.abbreviation),
                _text(bet.bookmaker),
                bet.odds,
                _plain(bet.stake_cents),
                bet.display_status,
                _plain(bet.profit_cents),
                _moment(bet.settled_at, zone),
            )
        )
    return out.getvalue()
