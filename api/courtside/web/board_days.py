"""The board's days: which games a day holds, in which order, under which heading.

**Whose day.** A signed-in user who chose a time zone sees *their* days: "Today" is their
today, and a game at 1:00 AM in Berlin is on their tomorrow even though it is tonight in New
York. Everyone else (anonymous visitors, users without a zone) sees the league's days
(`LEAGUE_TIMEZONE`). The JSON API's `date=` stays the league's day, as docs/api.md says.

**Open games first.** The games still open for bets come first, by day and tip-off; the
games that have started (in progress or tipped off), finished or been postponed follow in a
section of their own, which a link at the top jumps to. On a phone, an evening's games in
progress would otherwise stand, one card per screen, above the first game you can still bet
on. The order is the server's and the same at every width (on a desktop the open games fill
the first rows as well), so what you see, the keyboard's order and a screen reader's are one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from courtside.models import GameStatus
from courtside.web.cards import GameCard, has_started
from courtside.web.formatting import Formatter


@dataclass
class Day:
    day: date
    label: str
    upcoming: list[GameCard] = field(default_factory=list)
    started: list[GameCard] = field(default_factory=list)


def started_heading(days: list[Day]) -> str:
    """`In progress`, `Finished`, `In progress and finished`, … (what the section holds)."""
    kinds = {card.game.status for day in days for card in day.started}
    parts = []
    if kinds & {GameStatus.LIVE.value, GameStatus.SCHEDULED.value}:
        parts.append("in progress")
    if GameStatus.FINAL.value in kinds:
        parts.append("finished")
    if GameStatus.POSTPONED.value in kinds:
        parts.append("postponed")
    text = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return text[:1].upper() + text[1:]


def day_label(day: date, today: date, fmt: Formatter) -> str:
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return fmt.day(day)


def group_by_day(
    cards: list[GameCard], zone: ZoneInfo, today: date, fmt: Formatter, now: datetime
) -> list[Day]:
    """The cards by local day (in `zone`), each day's open games apart from its started ones
    (those in progress first, then the finished, then the postponed; each by tip-off)."""
    days: dict[date, Day] = {}
    for card in cards:
        local = card.game.start_time.astimezone(zone).date()
        group = days.get(local)
        if group is None:  # a day's label once per day, not once per card
            group = days[local] = Day(local, day_label(local, today, fmt))
        (group.started if has_started(card.game, now) else group.upcoming).append(card)
    for group in days.values():
        group.started.sort(key=lambda card: STARTED_ORDER.get(card.game.status, 0))
    return list(days.values())


STARTED_ORDER = {GameStatus.FINAL.value: 1, GameStatus.POSTPONED.value: 2}
"""In progress (live, or tipped off and not yet reported) first; `sort` keeps tip-off order."""
