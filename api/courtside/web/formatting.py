"""How pages show times and money: one format, always with the time zone.

Times read `Tue, Dec 1, 2026, 7:30 PM EST` (`when`), or `7:30 PM EST` where the day is
already on screen (`time`), in the viewer's zone: the one they chose in their settings,
else the league's. Money is units with two decimals; a signed amount says `+` or `-`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from courtside.odds import format_american, format_units, is_valid_american, win_profit_cents
from courtside.settings import get_app_settings

DASH = "\u2013"


def zone_named(name: str | None) -> ZoneInfo:
    """The zone `name`, or the league's when it is unset or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return get_app_settings().zone


@dataclass(frozen=True)
class Formatter:
    zone: ZoneInfo

    @property
    def zone_name(self) -> str:
        return str(self.zone.key)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return DASH
        local = self.local(moment)
        return local.strftime("%a, %b %-d, %Y, %-I:%M %p ") + (local.tzname() or "")

    def time(self, moment: datetime | None) -> str:
        if moment is None:
            return DASH
        local = self.local(moment)
        return local.strftime("%-I:%M %p ") + (local.tzname() or "")

    def day(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.local(value).date()
        return value.strftime("%a, %b %-d, %Y")

    def iso(self, moment: datetime | None) -> str:
        """For `<time datetime>`: ISO 8601 with the offset."""
        return "" if moment is None else self.local(moment).isoformat(timespec="seconds")

    @staticmethod
    def units(cents: int | None) -> str:
        return DASH if cents is None else format_units(cents)

    @staticmethod
    def signed(cents: int | None) -> str:
        if cents is None:
            return DASH
        return ("+" if cents > 0 else "") + format_units(cents)

    @staticmethod
    def to_win(stake_cents: int, odds: int) -> str:
        """What an open bet profits if it wins (the stake comes back on top)."""
        if stake_cents <= 0 or not is_valid_american(odds):
            return DASH
        return "+" + format_units(win_profit_cents(stake_cents, odds))

    @staticmethod
    def american(odds: int | None) -> str:
        return DASH if odds is None else format_american(odds)

    @staticmethod
    def pct(value: float | None, digits: int = 1) -> str:
        return DASH if value is None else f"{100 * value:.{digits}f}%"
