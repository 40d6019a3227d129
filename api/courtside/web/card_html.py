"""A game card's HTML (the board's ~27 cards and the game page's one), built as a string.

The card was a Jinja include (`_game_card.html`, and `_bet_form.html` inside it); rendering
a board's 27 of them through Jinja was the largest part of a board's time (issue 23: every
value an attribute look-up through the environment, an escape and a generator step, the
include a new context per card). This builds the same markup from the prepared `GameCard`
with plain f-strings: every text that comes from the data or the viewer (team names,
bookmakers, a typed stake, a refusal's message) is escaped as autoescaping did. Pages call
it from their template: `{{ card_html(card, csrf_token) }}`.

Most of a card is the same for every viewer: its header and line, and its bet form but for
the CSRF token. A warm process remembers that markup per input (`SHARED_CARDS`, keyed by
everything it is built from, so it is never stale) and adds what is the viewer's: the
token, their bet, a placed bet's notice, and a refused form shown as it was sent (issue 23:
building the cards was ~25 % of a warm board's CPU, the same work for every viewer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup

from courtside.remembered import HashedKey, Remembered
from courtside.web.cards import GameCard, Side
from courtside.web.formatting import DASH, Formatter
from courtside.web.html_escape import escape_text as _e
from courtside.web.viewer_slot import VIEWER_SLOT, split_at_slot

HEAD = (
    '  <table class="line">\n    <thead><tr><th scope="col">Team</th><th scope="col" '
    'class="num">{}</th><th scope="col" class="num">Implied</th><th scope="col" '
    'class="num">Model</th></tr></thead>\n    <tbody>\n'
)
HOME_MARK = ' <span class="home-mark" title="Home team">H</span>'


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


@dataclass(frozen=True, slots=True)
class SharedCard:
    """What a card shows every viewer alike: its header and line, and its bet form (for a
    game still open) as the markup before and after the viewer's CSRF token."""

    line: str
    form: tuple[str, str] | None


SHARED_CARDS_KEPT = 1024
"""Cards' shared markup a process remembers (~3 kB each, ~3 MB in all): the boards of the
next days and of the last ones, a few zones, and the game pages."""

SHARED_CARDS: Remembered[HashedKey, SharedCard] = Remembered(SHARED_CARDS_KEPT)
"""Keyed by everything the markup is built from (`CardHtml._shared`): the game's row (its
time, state, score and teams), both sides (price, book, implied and model chances), whether
it has started and why it is closed, the viewer's zone, the stake rule and the page the
forms come back to. A new price or score is a new key, so a card is never stale."""


@dataclass(frozen=True)
class CardHtml:
    """What every card of a page shares: the viewer's formatter, whether they are signed in
    (only then a card has a bet form), their bankroll (said after a placed bet), the stake
    rule and where the forms come back to (`board` or `game`)."""

    fmt: Formatter
    signed_in: bool
    bankroll: str | None
    stake_rule: str
    back: str

    def __call__(self, card: GameCard, csrf_token: object) -> Markup:
        token = _e(csrf_token)
        notice = error = ""
        if card.notice:
            said = f" Bankroll now <strong>{_e(self.bankroll)}</strong>." if self.bankroll else ""
            notice = (
                '<p class="flash success" role="status" data-testid="bet-outcome">'
                f"{_e(card.notice)}{said}</p>"
            )
        if card.error:
            error = (
                f'<p class="flash error" role="alert" id="error-{card.id}" '
                f'data-testid="bet-error">{_e(card.error)}</p>'
            )
        shared = self._shared(card)
        parts = [
            f'<article class="card game{" has-error" if card.error else ""}'
            f'{" has-notice" if card.notice else ""}" id="game-{card.id}" '
            'data-testid="game-card">\n',
            shared.line,
            notice,
            error,
        ]
        if card.my_bet is not None:
            parts.append(self._my_bet(card, token))
        if self.signed_in and card.can_bet:
            if shared.form is None or card.error or card.stake or card.chosen_side:
                parts.append(self._bet_form(card, token))  # a refused form, shown as sent
            else:
                before, after = shared.form
                parts += (before, token, after)
        parts.append("</article>")
        # Every value from the data or the viewer was escaped above (`_e`) as it was put in.
        return Markup("".join(parts))  # noqa: S704

    def _shared(self, card: GameCard) -> SharedCard:
        """The card's markup that every viewer of its game sees alike (in the same zone),
        the one built last for exactly this input if there is one (`SHARED_CARDS`)."""
        key = HashedKey(
            (card.game, card.away, card.home, card.started, card.closed_reason, self.fmt.zone,
             self.stake_rule, self.back)
        )  # fmt: skip
        shared = SHARED_CARDS.get(key)
        if shared is None:
            form = None
            if card.closed_reason is None:  # a closed game never shows a bet form
                as_new = replace(card, error=None, chosen_side="", stake="")
                form = split_at_slot(self._bet_form(as_new, VIEWER_SLOT))
            shared = SHARED_CARDS.keep(key, SharedCard(line=self._line(card), form=form))
        return shared

    def _line(self, card: GameCard) -> str:
        """The card's header (tip-off, state) and its line: the same for every viewer."""
        game = card.game
        state = (
            f'<span class="badge badge-{_e(game.status)}" data-testid="game-state">'
            f"{_e(card.closed_reason)}</span>"
            if card.closed_reason
            else ""
        )
        parts = [
            '  <header class="game-head">\n'
            f'    <a href="/games/{card.id}" class="tip" data-testid="game-link"><time '
            f'datetime="{self.fmt.iso(game.start_time)}">{_e(self.fmt.time(game.start_time))}'
            f"</time></a>\n{state}  </header>\n",
            HEAD.format("Closing" if card.started else "Price"),
        ]
        for side in card.sides:
            parts.append(self._side_row(side, card))
        parts.append("    </tbody>\n  </table>\n")
        return "".join(parts)

    def _side_row(self, side: Side, card: GameCard) -> str:
        game = card.game
        home = side.key == "home"
        score = game.home_score if home else game.away_score
        book = f'<span class="book">{_e(side.bookmaker)}</span>' if side.bookmaker else ""
        abbreviation = _e(side.abbreviation)
        shown = "" if score is None else f'<span class="score" data-testid="score">{score}</span>'
        return (
            f'      <tr>\n        <th scope="row"><a class="abbr" href="/teams/{abbreviation}">'
            f'{abbreviation}</a> <span class="team-name">{_e(side.team.name)}</span>'
            f"{HOME_MARK if home else ''}"
            f'{shown}</th>\n        <td class="num">{_e(self.fmt.american(side.odds))}{book}</td>\n'
            f'        <td class="num">{_pct(side.implied_pct)}</td>\n'
            f'        <td class="num">{_pct(side.model_pct)}</td>\n      </tr>\n'
        )

    def _my_bet(self, card: GameCard, token: str) -> str:
        bet = card.my_bet
        assert bet is not None
        fmt = self.fmt
        status = _e(bet.display_status)
        backed = card.home if bet.side == "home" else card.away
        parts = [
            f'    <div class="my-bet" data-testid="my-bet">Your bet: {fmt.units(bet.stake_cents)}'
            f" on\n      {_e(backed.abbreviation)}\n      at {_e(fmt.american(bet.odds))} "
            f'({_e(bet.bookmaker)}) · <span class="status status-{status}">{status}</span>\n'
        ]
        if bet.status == "open":
            parts.append(
                ' · to win <span class="tnum win" data-testid="to-win">'
                f"{fmt.to_win(bet.stake_cents, bet.odds)}</span>"
            )
        if bet.profit_cents is not None and bet.status != "refunded":
            kind = "win" if bet.profit_cents > 0 else "loss"
            parts.append(f' · <span class="{kind}">{fmt.signed(bet.profit_cents)}</span>')
        if bet.status == "open" and not card.closed_reason:
            parts.append(
                f'      <form method="post" action="/bets/{bet.id}/cancel" '
                'class="inline cancel-form">\n'
                f'        <input type="hidden" name="csrf_token" value="{token}">\n'
                f'        <input type="hidden" name="back" value="{_e(self.back)}">\n'
                '        <button type="submit" class="link" data-testid="cancel-bet">'
                "Cancel bet</button>\n      </form>\n"
            )
        parts.append("    </div>\n")
        return "".join(parts)

    def _bet_form(self, card: GameCard, token: str) -> str:
        fmt = self.fmt
        cid = card.id
        stake_cents = card.example_stake_cents
        choices = []
        payouts = []
        for side in card.sides:
            abbreviation = _e(side.abbreviation)
            checked = "checked" if card.chosen_side == side.key else ""
            choices.append(
                '    <label class="choice"><input type="radio" name="side" '
                f'value="{side.key}" required {checked}>\n      {abbreviation} '
                f'<span class="tnum">{_e(fmt.american(side.odds))}</span></label>\n'
            )
            win = side.payout(stake_cents)
            profit = DASH if win is None else fmt.units(win.profit_cents)
            total = DASH if win is None else fmt.units(win.return_cents)
            payouts.append(
                f'<span class="payout-side" data-odds="{"" if side.odds is None else side.odds}"'
                f' data-side="{side.key}">{abbreviation}: profit <span data-payout-profit '
                f'class="tnum">{profit}</span>, total return <span data-payout-return '
                f'class="tnum">{total}</span></span>'
            )
        described = f"stake-rule-{cid}" + (f" error-{cid}" if card.error else "")
        return (
            '<form method="post" action="/bets" class="bet-form" data-testid="bet-form">\n'
            f'  <input type="hidden" name="csrf_token" value="{token}">\n'
            f'  <input type="hidden" name="game_id" value="{cid}">\n'
            f'  <input type="hidden" name="back" value="{_e(self.back)}">\n'
            '  <fieldset>\n    <legend class="sr-only">Side</legend>\n'
            f"{''.join(choices)}  </fieldset>\n"
            '  <p class="muted small payout" data-testid="payout" aria-live="polite">Stake '
            f'<span data-payout-stake class="tnum">{fmt.units(stake_cents)}</span> →\n'
            f"{' · '.join(payouts)}</p>\n"
            '  <div class="stake-row">\n'
            f'    <label for="stake-{cid}" class="sr-only">Stake</label>\n'
            f'    <input id="stake-{cid}" name="stake" inputmode="decimal" '
            'placeholder="Stake, e.g. 25" autocomplete="off"\n'
            f'           required maxlength="20" value="{_e(card.stake)}" '
            f'aria-describedby="{described}" {"autofocus" if card.error else ""}>\n'
            '    <button type="submit">Place bet</button>\n  </div>\n'
            f'  <p class="hint" id="stake-rule-{cid}">{_e(self.stake_rule)}</p>\n</form>'
        )
