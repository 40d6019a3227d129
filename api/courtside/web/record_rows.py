"""The rows of my record's table of bets (up to a page of 50), built as a string.

Like the game cards (`card_html`): through Jinja each of a row's dozen values was an
attribute look-up through the environment, an escape and a generator step, the largest part
of the record's rendering (issue 23). The same markup from the bets with what they show of
their games (`services.record_lines`, rows: no ORM objects); every text from the data is
escaped as autoescaping did. `record.html` calls it:
`{{ record_rows(bets, cancellable, csrf_token) }}`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from courtside.services.record_lines import BetLine
from courtside.web.formatting import DASH, Formatter
from courtside.web.html_escape import escape_text as _e


@dataclass(frozen=True)
class RecordRows:
    fmt: Formatter

    def __call__(
        self, bets: Sequence[BetLine], cancellable: Collection[int], csrf_token: object
    ) -> Markup:
        fmt = self.fmt
        token = _e(csrf_token)
        rows = []
        for bet in bets:
            home, away = _e(bet.home), _e(bet.away)
            score = (
                f'<span class="muted small">{bet.away_score}{DASH}{bet.home_score}</span>'
                if bet.game_status == "final"
                else ""
            )
            status = _e(bet.display_status)
            if bet.status == "open":
                profit = (
                    '<td data-label="Profit" class="num"><span class="muted small">to win'
                    '</span> <span class="win" data-testid="to-win">'
                    f"{fmt.to_win(bet.stake_cents, bet.odds)}</span></td>\n"
                )
            else:
                cents = bet.profit_cents or 0
                kind = "win" if cents > 0 else ("loss" if cents < 0 else "")
                profit = (
                    f'<td data-label="Profit" class="num {kind}">'
                    f"{fmt.signed(bet.profit_cents)}</td>\n"
                )
            cancel = (
                f'          <form method="post" action="/bets/{bet.id}/cancel" class="inline">\n'
                f'            <input type="hidden" name="csrf_token" value="{token}">\n'
                '            <button type="submit" class="secondary small-button" '
                'data-testid="cancel-bet">Cancel</button>\n          </form>'
                if bet.id in cancellable
                else ""
            )
            rows.append(
                f'      <tr>\n        <td data-label="Placed"><time datetime="'
                f'{fmt.iso(bet.placed_at)}">{_e(fmt.when(bet.placed_at))}</time></td>\n'
                f'        <td data-label="Game"><a href="/games/{bet.game_id}">'
                f"{away} @ {home}</a>\n"
                f"{score}</td>\n"
                f'        <td data-label="Side">{home if bet.side == "home" else away}</td>\n'
                f'        <td data-label="Odds" class="num">{_e(fmt.american(bet.odds))} '
                f'<span class="book">{_e(bet.bookmaker)}</span></td>\n'
                f'        <td data-label="Stake" class="num">{fmt.units(bet.stake_cents)}</td>\n'
                f'        <td data-label="Status"><span class="status status-{status}">'
                f"{status}</span></td>\n        {profit}"
                f'        <td data-label="" class="row-actions">{cancel}</td>\n      </tr>\n'
            )
        # Every value from the data was escaped above (`_e`) as it was put in.
        return Markup("".join(rows))  # noqa: S704
