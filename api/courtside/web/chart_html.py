"""The record's and the game page's SVG charts as strings (issue 23): what the templates
`_profit_chart.html`, `_clv_chart.html` and `_odds_chart.html` drew, byte for byte
(`tests/api/betting/test_record_html.py`, `test_chart_html.py` compare them with the
replaced templates over many states), from the geometry of `web.charts` and
`web.analytics_charts`. Through Jinja each of a chart's ~40 marked points was a dozen
attribute look-ups through the environment, escapes, `format` filters and generator steps.
Texts from the data (labels, titles, bookmakers) are escaped as autoescaping did; numbers are
formatted as the templates' `'%.1f'|format` did. Each returns the chart without a trailing
newline, as an `{% include %}` of a template did.
"""

from __future__ import annotations

from markupsafe import Markup

from courtside.web.analytics_charts import ClvChart
from courtside.web.charts import OddsChart, Point, ProfitChart, Tick
from courtside.web.html_escape import escape_text as _e


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


def _marks(
    marks: list[Point],
    dot: str,
    testid: str,
    radii: tuple[str, str] = ("11", "3.5"),
    prefix: str = "",
) -> str:
    """The marked points: a focusable group with the value's title, the hit area, the dot
    (`radii`) and the value label (after `prefix`)."""
    parts = []
    for p in marks:
        title, pct = _e(p.title), _e(p.pct)
        label_y = p.y - 12 if p.y > 40 else p.y + 24
        parts.append(
            f'      <g class="point" tabindex="0" role="img" aria-label="{title}" '
            f'data-testid="{testid}"><title>{title}</title>\n'
            f'        <circle class="hit" cx="{pct}" cy="{p.y:.1f}" r="{radii[0]}"/>\n'
            f'        <circle class="dot {dot}" cx="{pct}" cy="{p.y:.1f}" r="{radii[1]}"/>\n'
            f'        <text class="value" x="{pct}" y="{label_y:.1f}" '
            f'text-anchor="{_e(p.anchor)}">{prefix}{_e(p.value)}</text></g>\n'
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


def odds_chart_html(odds: OddsChart) -> Markup:
    """What `_odds_chart.html` drew: the chart and its legend."""
    home = _e(odds.home)
    lines = "".join(
        f'<polyline class="odds-line {_e(s.css)}" points="{_e(s.line)}" '
        f'vector-effect="non-scaling-stroke" data-testid="odds-series" '
        f'data-bookmaker="{_e(s.bookmaker)}"/>'
        for s in odds.series
    )
    marks = "".join(
        _marks(s.marks, _e(s.css), "chart-point", ("9", "3"), f"{_e(s.bookmaker)} ")
        for s in odds.series
    )
    legend = "".join(
        f'<li><span class="swatch {_e(s.css)}"></span>{_e(s.bookmaker)} {s.last_pct:.1f}%</li>'
        for s in odds.series
    )
    html = (
        '<figure class="chart-figure">\n'
        f'  <figcaption class="axis-title" data-testid="y-axis-title">Implied chance of a {home} '
        f"win (home team), %, from each bookmaker's {home} price</figcaption>\n"
        '  <div class="chart-box">\n'
        f"{_y_axis(odds.height, odds.y_ticks)}"
        f'    <svg class="chart" width="100%" height="{odds.height}" role="group" '
        'aria-labelledby="odds-title odds-desc" data-testid="odds-chart">\n'
        f'      <title id="odds-title">Implied chance of a {home} win, by bookmaker, over '
        "time</title>\n"
        f'      <desc id="odds-desc">{odds.snapshots} snapshots from {len(odds.series)} '
        "bookmakers.</desc>\n"
        f"{_grid(odds.y_ticks)}"
        f"{_x_ticks(odds.x_ticks, odds.plot_top + odds.plot_height, odds.height, _X_TESTID)}"
        f'      <svg class="lines" y="{odds.plot_top}" width="100%" '
        f'height="{odds.plot_height}" viewBox="0 0 {odds.line_width} {odds.plot_height}" '
        'preserveAspectRatio="none" overflow="visible">\n'
        f"{lines}      </svg>\n"
        f"{marks}"
        "    </svg>\n"
        "  </div>\n"
        '  <p class="muted small chart-help">Point at a dot, or tap it, for the bookmaker\'s price '
        "at that time.</p>\n"
        "</figure>\n"
        f'<ul class="legend">\n{legend}</ul>'
    )
    return Markup(html)  # noqa: S704  (every value from the data escaped above)
