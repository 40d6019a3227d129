"""Game cards: one game as the board and the game page show it (best prices, prediction,
the viewer's bet, whether they may bet, and a refused bet's form kept as it was sent).

A game that has started shows the line it closed at (`services.closing_line`: the last
quotes before tip-off) and the prediction, beside its live state and score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from courtside.models import BetStatus, GameStatus
from courtside.odds import implied_probability
from courtside.services.closing_line import has_started
from courtside.services.game_rows import GameRow
from courtside.services.markets import Market
from courtside.services.reference_data import TeamRef
from courtside.web.stakes import Payout, payout, typed_stake_cents

if TYPE_CHECKING:
    from courtside.services.board import ViewerBet

EXAMPLE_STAKE_CENTS = 10_000


class Side(NamedTuple):
    """One team's side of a card: its best price and book, and the chances they imply. A
    named tuple: built, hashed and compared in C (`web.card_html` keys a card by its two)."""

    key: str
    team: TeamRef
    odds: int | None
    bookmaker: str | None
    implied_pct: float | None
    model_pct: float | None

    @property
    def abbreviation(self) -> str:
        return self.team.abbreviation

    def payout(self, stake_cents: int) -> Payout | None:
        """What `stake_cents` on this side would win at this price."""
        return payout(stake_cents, self.odds)


@dataclass
class GameCard:
    game: GameRow
    home: Side
    away: Side
    can_bet: bool
    closed_reason: str | None
    my_bet: ViewerBet | None
    notice: str | None = None
    error: str | None = None
    chosen_side: str = ""
    stake: str = ""
    started: bool = False
    """Under way, finished or postponed, or past tip-off: the line shown is the closing one."""

    @property
    def id(self) -> int:
        return self.game.id

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.away, self.home)

    @property
    def example_stake_cents(self) -> int:
        """The stake the payout hint is worked out for: the one typed (a refused form shown
        again), else 100.00."""
        return typed_stake_cents(self.stake) or EXAMPLE_STAKE_CENTS


@dataclass(frozen=True)
class FormState:
    """A refused bet's form, shown again with the reason."""

    game_id: int
    error: str
    side: str
    stake: str


def _side(key: str, game: GameRow, market: Market | None, probability: float | None) -> Side:
    """`probability`: the newest prediction's home win probability."""
    team = game.home_team if key == "home" else game.away_team
    price = None if market is None else market.best(key)
    model = None
    if probability is not None:
        p = probability
        model = round(100 * (p if key == "home" else 1 - p), 1)
    return Side(
        key=key,
        team=team,
        odds=None if price is None else price.odds,
        bookmaker=None if price is None else price.bookmaker,
        implied_pct=None if price is None else round(100 * implied_probability(price.odds), 1),
        model_pct=model,
    )


PERIODS = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4", 5: "OT"}


def live_state(game: GameRow) -> str:
    """`Live · Q3 5:12`, `Live · 2OT 0:45`, or `Live` when the pipeline sent no period."""
    if game.period is None:
        return "Live"
    name = PERIODS.get(game.period, f"{game.period - 4}OT")
    if game.clock_seconds is None:
        return f"Live · {name}"
    minutes, seconds = divmod(game.clock_seconds, 60)
    return f"Live · {name} {minutes}:{seconds:02d}"


def _closed_reason(
    game: GameRow, market: Market | None, betting_open: bool, now: datetime
) -> str | None:
    if game.status == GameStatus.LIVE.value:
        return live_state(game)
    if game.status != GameStatus.SCHEDULED.value:
        return {"final": "Final", "postponed": "Postponed"}.get(game.status, game.status)
    if game.start_time <= now:
        return "Tipped off"
    if market is None or (market.home is None and market.away is None):
        return "No odds yet"
    if not betting_open:
        return "Betting is closed"
    return None


def _no_live_bet(bet: ViewerBet | None) -> bool:
    """A refunded bet (postponed game, or cancelled) leaves the user free to bet again."""
    return bet is None or bet.status == BetStatus.REFUNDED.value


def cards_for(
    games: list[GameRow],
    *,
    predictions: Mapping[int, float],
    markets: Mapping[int, Market],
    betting_open: bool,
    now: datetime,
    form: FormState | None = None,
    notice: tuple[int, str] | None = None,
    bets: Mapping[int, ViewerBet] | None = None,
) -> list[GameCard]:
    """A card per game: best prices, prediction, the viewer's bet, whether they may bet.
    Everything comes read already: `predictions` (home win probability per game) and the
    viewer's `bets` with the games (`board.Slate`), `markets` (as of `now`: which games have
    started) and `betting_open` from the page's cache reads (`page_slates.board_slate_reads` and
    `closing_line.shown_markets`, `page_slates.game_page_reads`)."""
    mine: Mapping[int, ViewerBet] = bets or {}
    cards = []
    for game in games:
        market = markets.get(game.id)
        prediction = predictions.get(game.id)
        reason = _closed_reason(game, market, betting_open, now)
        card = GameCard(
            game=game,
            home=_side("home", game, market, prediction),
            away=_side("away", game, market, prediction),
            can_bet=reason is None and _no_live_bet(mine.get(game.id)),
            closed_reason=reason,
            my_bet=mine.get(game.id),
            started=has_started(game, now),
        )
        if form is not None and form.game_id == game.id:
            card.error, card.chosen_side, card.stake = form.error, form.side, form.stake
        if notice is not None and notice[0] == game.id:
            card.notice = notice[1]
        cards.append(card)
    return cards


__all__ = ["FormState", "GameCard", "Side", "cards_for", "has_started", "live_state"]
