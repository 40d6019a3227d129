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

from markupsafe import Markup, escape

from courtside.web.analytics_charts import ClvChart
from courtside.web.analytics_view import AnalyticsView
from courtside.web.charts import Point, ProfitChart, Tick
from courtside.web.formatting import DASH, Formatter


def _e(value: object) -> str:
    return str(escape(value))


def _y_axis(height: int, ticks: list[Tick]) -> str:
    labels = "".join(
        f'<text class="tick" x="54" y="{tick.position + 4:.1f}" text-anchor="end">'
        f"{_e(tick.label)}</text>"
        for tick in ticks
    )
    return (
        f'    <svg class="y-axis" width="60" height="{height}" aria-hidden="true">\n'
        f"{labels}    </svg>\n"
    )


def _grid(ticks: list[Tick]) -> str:
    return "".join(
        f'<line class="grid-line" x1="0" x2="100%" y1="{tick.position:.1f}" '
        f'y2="{tick.position:.1f}"/>'
        for tick in ticks
    )


def _x_ticks(ticks: list[Tick], plot_bottom: int, height: int, testid: str) -> str:
    parts = []
    for tick in ticks:
        minor = " minor" if tick.minor else ""
        pct = _e(tick.pct)
        parts.append(
            f'      <line class="x-mark{minor}" x1="{pct}" x2="{pct}" y1="{plot_bottom}" '
            f'y2="{plot_bottom + 5}"/>\n'
            f'      <text class="tick x-tick{minor}" x="{pct}" y="{height - 10}" '
            f'text-anchor="{_e(tick.anchor)}"{testid}>{_e(tick.label)}</text>\n'
        )
    return "".join(parts)


def _marks(marks: list[Point], dot: str, testid: str) -> str:
    parts = []
    for p in marks:
        title, pct = _e(p.title), _e(p.pct)
        label_y = p.y - 12 if p.y > 40 else p.y + 24
        parts.append(
            f'      <g class="point" tabindex="0" role="img" aria-label="{title}" '
            f'data-testid="{testid}"><title>{title}</title>\n'
            f'        <circle class="hit" cx="{pct}" cy="{p.y:.1f}" r="11"/>\n'
            f'        <circle class="dot {dot}" cx="{pct}" cy="{p.y:.1f}" r="3.5"/>\n'
            f'        <text class="value" x="{pct}" y="{label_y:.1f}" '
            f'text-anchor="{_e(p.anchor)}">{_e(p.value)}</text></g>\n'
        )
    return "".join(parts)


def profit_chart_html(chart: ProfitChart) -> str:
    """What `_profit_chart.html` drew (without its trailing newline, as an include did)."""
    way = "up" if chart.positive else "down"
    zero = chart.zero_y - chart.plot_top
    return (
        '<figure class="chart-figure">\n'
        '  <figcaption class="axis-title" data-testid="y-axis-title">Profit so far, in units '
        "(after each settlement)</figcaption>\n"
        '  <div class="chart-box">\n'
        f"{_y_axis(chart.height, chart.y_ticks)}"
        f'    <svg class="chart" width="100%" height="{chart.height}" role="group" '
        'aria-labelledby="chart-title chart-desc"\n'
        f'         data-testid="profit-chart" data-steps="{chart.steps}">\n'
        '      <title id="chart-title">Cumulative profit over time</title>\n'
        f'      <desc id="chart-desc">{chart.points} settled bets; profit now '
        f"{_e(chart.final_label)} units.</desc>\n"
        f"{_grid(chart.y_ticks)}"
        f"{_x_ticks(chart.x_ticks, chart.plot_top + chart.plot_height, chart.height, _X_TESTID)}"
        f'      <svg class="lines" y="{chart.plot_top}" width="100%" '
        f'height="{chart.plot_height}" viewBox="0 0 {chart.line_width} {chart.plot_height}" '
        'preserveAspectRatio="none" overflow="visible">\n'
        f'        <polygon class="area {way}" points="{_e(chart.area)}"/>\n'
        f'        <line class="zero" x1="0" x2="{chart.line_width}" y1="{zero:.1f}" '
        f'y2="{zero:.1f}" vector-effect="non-scaling-stroke"/>\n'
        f'        <polyline class="profit-line {way}" points="{_e(chart.line)}" '
        'vector-effect="non-scaling-stroke"/>\n'
        "      </svg>\n"
        f"{_marks(chart.marks, way, 'chart-point')}"
        "    </svg>\n"
        "  </div>\n"
        '  <p class="muted small chart-help">Point at a dot, or tap it, for its value.</p>\n'
        "</figure>"
    )


_X_TESTID = ' data-testid="x-tick"'


def clv_chart_html(clv: ClvChart) -> str:
    """What `_clv_chart.html` drew (without its trailing newline, as an include did)."""
    way = "up" if clv.positive else "down"
    zero = clv.zero_y - clv.plot_top
    return (
        '<figure class="chart-figure">\n'
        '  <figcaption class="axis-title">Average CLV so far, in points (after each '
        "settlement)</figcaption>\n"
        '  <div class="chart-box">\n'
        f"{_y_axis(clv.height, clv.y_ticks)}"
        f'    <svg class="chart" width="100%" height="{clv.height}" role="group" '
        'aria-labelledby="clv-title clv-desc" data-testid="clv-chart">\n'
        '      <title id="clv-title">Running closing line value</title>\n'
        f'      <desc id="clv-desc">{clv.points} settled bets with a closing line; average CLV '
        f"now {_e(clv.final_label)}.</desc>\n"
        f"{_grid(clv.y_ticks)}"
        f"{_x_ticks(clv.x_ticks, clv.plot_top + clv.plot_height, clv.height, '')}"
        f'      <svg class="lines" y="{clv.plot_top}" width="100%" height="{clv.plot_height}" '
        f'viewBox="0 0 {clv.line_width} {clv.plot_height}" preserveAspectRatio="none" '
        'overflow="visible">\n'
        f'        <line class="zero" x1="0" x2="{clv.line_width}" y1="{zero:.1f}" '
        f'y2="{zero:.1f}" vector-effect="non-scaling-stroke"/>\n'
        f'        <polyline class="profit-line {way}" points="{_e(clv.line)}" '
        'vector-effect="non-scaling-stroke"/>\n'
        "      </svg>\n"
        f"{_marks(clv.marks, way, 'clv-point')}"
        "    </svg>\n"
        "  </div>\n"
        "</figure>"
    )


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
