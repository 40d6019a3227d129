"""A user's bets as CSV: money in units with two decimals, times as ISO 8601 to the second
with the UTC offset of the reader's time zone (UTC unless the caller gives one). Each row
also carries the bet's profit in the user's unit and, once its game has tipped off, the
closing price on its side and its closing line value in percentage points
(`services.analytics`)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Bet, BetStatus, Game, utcnow
from courtside.odds import format_units, implied_probability
from courtside.services.bet_record import BetFilters, iter_bets
from courtside.services.closing_line import closing_markets
from courtside.services.units import unit_of

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
    # issue 25: the bet's analytics (profit in the user's unit; closing line value)
    "profit_units",
    "closing_odds",
    "clv_pts",
)


_FORMULA_STARTS = ("=", "+", "-", "@")
_CELL_BREAKS = re.compile(r"([,;\t|\r\n])")
"""Characters a spreadsheet may split a cell at: its list separator varies with the locale
and the import dialog (`,` `;` tab `|`), so a quoted `a;=1+1` can arrive as `a` and `=1+1`."""


def _text(value: str) -> str:
    """Neutralise spreadsheet formulas in text that came from outside (CSV injection).

    Every piece a spreadsheet could make a cell of, the whole value or what follows any
    separator it might split at, is prefixed with `'` when it would start a formula (leading
    spaces and quotes ignored, as spreadsheets trim them). A value starting with a tab or a
    carriage return is prefixed too.
    """
    pieces = _CELL_BREAKS.split(value)
    for index in range(0, len(pieces), 2):  # the odd indices are the separators themselves
        piece = pieces[index]
        if piece.lstrip(" \"'").startswith(_FORMULA_STARTS):
            pieces[index] = "'" + piece
    guarded = "".join(pieces)
    return f"'{guarded}" if guarded.startswith(("\t", "\r")) else guarded


def _plain(cents: int | None) -> str:
    return "" if cents is None else format_units(cents).replace(",", "")


def _moment(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).isoformat(timespec="seconds")


def _clv(odds: int, closing_odds: int | None) -> str:
    """Closing line value in percentage points, two decimals (`+2.96`)."""
    if closing_odds is None:
        return ""
    return f"{100 * (implied_probability(closing_odds) - implied_probability(odds)):+.2f}"


async def bets_csv(
    session: AsyncSession,
    user_id: int,
    *,
    filters: BetFilters | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """The bets `filters` selects (default: all), in the record's order."""
    # lazy: only the CSV export needs them
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    zone = zone or ZoneInfo("UTC")
    unit = (await unit_of(session, user_id)).cents
    closing = await closing_odds_by_bet(session, user_id, now=utcnow())
    async for bet in iter_bets(session, user_id, filters=filters):
        closing_odds = closing.get(bet.id)
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
                _text(bet.side),
                _text(team.abbreviation),
                _text(bet.bookmaker),
                bet.odds,
                _plain(bet.stake_cents),
                _text(bet.display_status),
                _plain(bet.profit_cents),
                _moment(bet.settled_at, zone),
                "" if bet.profit_cents is None else f"{bet.profit_cents / unit:.2f}",
                "" if closing_odds is None else closing_odds,
                _clv(bet.odds, closing_odds),
            )
        )
    return out.getvalue()


async def closing_odds_by_bet(
    session: AsyncSession, user_id: int, *, now: datetime
) -> dict[int, int]:
    """The best closing price on the side of each of the user's bets whose game has tipped
    off or is settled (before tip-off there is no closing line yet) and that was not
    refunded: the CSV's `closing_odds` column."""
    rows = (
        await session.execute(
            select(Bet.id, Bet.side, Game)
            .join(Game, Game.id == Bet.game_id)
            .where(
                Bet.user_id == user_id,
                Bet.status != BetStatus.REFUNDED.value,
                (Game.start_time <= now)
                | Bet.status.in_([BetStatus.WON.value, BetStatus.LOST.value]),
            )
        )
    ).all()
    games = list({game.id: game for _, _, game in rows}.values())
    closing = await closing_markets(session, games)
    found = {}
    for bet_id, side, game in rows:
        market = closing.get(game.id)
        price = None if market is None else market.best(side)
        if price is not None:
            found[bet_id] = price.odds
    return found
