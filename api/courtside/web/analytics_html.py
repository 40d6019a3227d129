"""My record's analytics section (issue 25) with its two charts, built as a string.

The section was `_record_analytics.html` with `_profit_chart.html` and `_clv_chart.html`
included: ~40 marked points per chart, five breakdown tables, every value an attribute
look-up through the environment, an escape, a `format` filter and a generator step. It was
the largest part of the record's rendering (issue 23), as the game cards were of the board's
(`card_html`). This builds the same markup, byte for byte (`tests/api/betting/
test_record_html.py` compares it with the templates it replaces over many states), from the
same geometry (`web.charts`, `web.analytics_charts`) and figures (`services.analytics`).
Every text from the data is escaped as autoescaping did; numbers are formatted as the
templates' `'%.1f'|format` did. `record.html` calls it: `{{ record_analytics(csrf_token) }}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from courtside.web.analytics_view import AnalyticsView
from courtside.web.chart_html import clv_chart_html, profit_chart_html
from courtside.web.charts import ProfitChart
from courtside.web.formatting import DASH, Formatter
from courtside.web.html_escape import escape_text as _e


def _win_loss(cents: int) -> str:
    return "win" if cents > 0 else ("loss" if cents < 0 else "")


@dataclass(frozen=True)
class RecordAnalytics:
    """The section's data (the record page's profit chart, the analytics view) and the
    viewer's formatter; called by the template with the CSRF token of the unit form."""

    fmt: Formatter
    analytics: AnalyticsView
    chart: ProfitChart | None

    def __call__(self, csrf_token: object) -> Markup:
        fmt, a = self.fmt, self.analytics
        s = a.stats
        profit = (
            profit_chart_html(self.chart)
            if self.chart
            else '      <p class="muted" data-testid="no-chart">The chart appears once a bet '
            "is settled.</p>\n"
        )
        clv = (
            clv_chart_html(a.clv_chart)
            if a.clv_chart
            else '      <p class="muted" data-testid="no-clv-chart">The chart appears once a '
            "settled bet has a closing line.</p>\n"
        )
        unit = fmt.units(s.unit_cents)
        parts = [
            '<div data-testid="record-analytics">\n'
            '<section class="chart-pair" aria-label="Profit and closing line value over time">\n'
            '  <div class="card">\n'
            "    <h2>Profit over time</h2>\n"
            f"{profit}"
            "  </div>\n"
            '  <div class="card">\n'
            "    <h2>Closing line value</h2>\n"
            f"{clv}"
            '    <p class="hint">Positive: you took a better price than the line closed at, '
            "the market's last word.</p>\n"
            "  </div>\n"
            "</section>\n"
            "\n"
            '<section id="analytics" class="card analytics" data-testid="analytics">\n'
            '  <h2>Analytics <span class="muted small">(won and lost bets)</span></h2>\n'
            '  <div class="stats">\n'
            '    <div class="stat"><span class="label">ROI</span><strong data-testid="a-roi">'
            f"{_e(fmt.pct(s.roi))}</strong></div>\n"
            '    <div class="stat"><span class="label">Units won</span><strong '
            f'data-testid="a-units">{_e(a.units_won)}</strong><span class="small">unit '
            f"{_e(unit)}</span></div>\n"
            '    <div class="stat"><span class="label">Average odds</span><strong '
            f'data-testid="a-odds">{_e(fmt.american(s.average_odds))}</strong></div>\n'
            '    <div class="stat"><span class="label">Win rate</span><strong '
            f'data-testid="a-win-rate">{_e(fmt.pct(s.win_rate))}</strong><span class="small">'
            f"break-even {_e(fmt.pct(s.break_even_rate))}</span></div>\n"
            '    <div class="stat"><span class="label">Average CLV</span><strong '
            f'data-testid="a-clv">{_e(a.points(s.average_clv))}</strong><span class="small">'
            f"{_e(s.clv_bets)} bets with a closing line</span></div>\n"
            '    <div class="stat"><span class="label">Streak</span><strong '
            f'data-testid="a-streak">{_e(s.streaks.current or DASH)}</strong><span '
            f'class="small">longest W{_e(s.streaks.longest_win)} · '
            f"L{_e(s.streaks.longest_loss)}</span></div>\n"
            "  </div>\n"
            '  <form method="post" action="/record/unit" class="filters unit-form" '
            'data-testid="unit-form">\n'
            f'    <input type="hidden" name="csrf_token" value="{_e(csrf_token)}">\n'
            '    <div><label for="unit">Your unit</label>\n'
            '      <input id="unit" name="unit" inputmode="decimal" maxlength="32" '
            f'value="{"" if s.unit_is_default else _e(unit)}" placeholder="{_e(unit)}" '
            'aria-describedby="unit-hint"></div>\n'
            '    <div class="filter-buttons"><button type="submit" class="secondary" '
            'data-testid="save-unit">Save unit</button></div>\n'
            '    <p id="unit-hint" class="hint">The stake “units won” counts in. Empty: 1 % of '
            f"your starting bankroll{' (now)' if s.unit_is_default else ''}.</p>\n"
            "  </form>\n"
        ]
        if s.bets:
            parts.append('  <div class="breakdowns">\n')
            for b in a.breakdowns:
                parts.append(
                    '    <div class="breakdown">\n'
                    f"      <h3>{_e(b.title)}</h3>\n"
                    f'      <table class="compact" data-testid="breakdown-{_e(b.key)}">\n'
                    f'        <thead><tr><th scope="col">{_e(b.label)}</th><th scope="col" '
                    f'class="num">W{DASH}L</th><th scope="col" class="num">Profit</th><th '
                    'scope="col" class="num">ROI</th></tr></thead>\n'
                    "        <tbody>\n"
                )
                for row in b.rows:
                    parts.append(
                        f'          <tr><th scope="row">{_e(row.label)}</th><td class="num">'
                        f"{_e(row.record)}</td>\n"
                        f'            <td class="num {_win_loss(row.profit_cents)}">'
                        f"{_e(fmt.signed(row.profit_cents))}</td>\n"
                        f'            <td class="num">{_e(fmt.pct(row.roi))}</td></tr>\n'
                    )
                parts.append("        </tbody>\n      </table>\n    </div>\n")
            parts.append("  </div>\n")
        else:
            parts.append(
                '  <p class="muted" data-testid="no-analytics">The breakdowns appear once a '
                "bet is settled.</p>\n"
            )
        parts.append("</section>\n</div>")
        return Markup("".join(parts))  # noqa: S704  (every value escaped above)
