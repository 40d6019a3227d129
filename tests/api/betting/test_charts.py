"""The SVG profit chart's geometry."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from courtside.models import utcnow
from courtside.services.bet_record import ProfitPoint
from courtside.web.charts import LINE_WIDTH, MAX_POINTS, PAD_TOP, PLOT_HEIGHT, profit_chart

ZONE = ZoneInfo("America/New_York")


def _points(*cents: int, hours: int = 1) -> list[ProfitPoint]:
    start = utcnow()
    return [
        ProfitPoint(at=start + timedelta(hours=hours * i), cumulative_cents=c, bet_id=i)
        for i, c in enumerate(cents)
    ]


def _coords(line: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in line.split())]


def test_no_points_no_chart() -> None:
    assert profit_chart([], ZONE) is None


def test_steps_stay_inside_the_plot_and_zero_is_where_it_belongs() -> None:
    chart = profit_chart(_points(1_000, -2_500, 4_000, 3_000), ZONE)
    assert chart is not None
    coords = _coords(chart.line)
    assert len(coords) == 1 + 2 * 4
    for x, y in coords:  # the inner drawing's units: x in 0-LINE_WIDTH, y in 0-PLOT_HEIGHT
        assert 0 <= x <= LINE_WIDTH
        assert 0 <= y <= PLOT_HEIGHT
    assert coords[0] == (0, round(chart.zero_y - PAD_TOP, 1))  # starts at zero profit
    xs = [x for x, _ in coords]
    assert xs == sorted(xs)
    labels = [tick.label for tick in chart.y_ticks]
    assert "0" in labels
    assert chart.final_label == "+30.00"
    assert chart.positive


def test_higher_profit_is_drawn_higher() -> None:
    chart = profit_chart(_points(-500, 2_000), ZONE)
    assert chart is not None
    coords = _coords(chart.line)
    assert coords[2][1] > coords[0][1]  # -5.00 is below the zero start
    assert coords[4][1] < coords[0][1]  # +20.00 is above it
    assert chart.final_label == "+20.00"


def test_bets_settled_at_one_instant_are_one_step_and_losses_are_red() -> None:
    chart = profit_chart(_points(-100, -300, hours=0), ZONE)
    assert chart is not None
    coords = _coords(chart.line)
    assert len(coords) == 3  # the origin, then one step to the instant's total
    assert (chart.points, chart.steps) == (2, 1)
    assert coords[-1][0] == LINE_WIDTH
    assert coords[-1][1] > coords[0][1]  # -3.00, below zero
    assert not chart.positive
    assert chart.final_label == "-3.00"
    assert len(chart.x_ticks) == 1


def test_same_instant_points_draw_no_spikes() -> None:
    """Three bets settling together (+10, -5, +20 → +25) draw one step to +25, not three."""
    start = utcnow()
    points = [
        ProfitPoint(at=start, cumulative_cents=1_000, bet_id=1),
        ProfitPoint(at=start, cumulative_cents=500, bet_id=2),
        ProfitPoint(at=start, cumulative_cents=2_500, bet_id=3),
        ProfitPoint(at=start + timedelta(days=1), cumulative_cents=2_000, bet_id=4),
    ]
    chart = profit_chart(points, ZONE)
    assert chart is not None
    coords = _coords(chart.line)
    assert len(coords) == 1 + 2 * 2
    ys = [y for _, y in coords]
    assert ys[2] == min(ys)  # the first step goes straight to the instant's total (+25)
    assert chart.final_label == "+20.00"


@pytest.mark.parametrize(
    ("days", "expected"),
    [(10, range(4, 11)), (60, range(4, 10)), (300, range(3, 8))],
)
def test_a_handful_of_time_ticks_in_order(days: int, expected: range) -> None:
    start = utcnow()
    points = [
        ProfitPoint(at=start + timedelta(days=days * i / 20), cumulative_cents=100 * i, bet_id=i)
        for i in range(21)
    ]
    chart = profit_chart(points, ZONE)
    assert chart is not None
    positions = [tick.position for tick in chart.x_ticks]
    assert len(positions) in expected, [t.label for t in chart.x_ticks]
    assert positions == sorted(positions)
    assert all(0 <= x <= 1 for x in positions)  # fractions of the plot's width
    assert any(tick.minor for tick in chart.x_ticks)  # a phone shows every other one


def test_labels_at_either_end_are_anchored_inward() -> None:
    """A label centred on the plot's edge would be cut in half ("Dec !")."""
    start = utcnow()
    points = [
        ProfitPoint(at=start + timedelta(days=i), cumulative_cents=100 * i, bet_id=i)
        for i in range(8)
    ]
    chart = profit_chart(points, ZONE)
    assert chart is not None
    for tick in chart.x_ticks:
        expected = "start" if tick.position < 0.12 else "end" if tick.position > 0.88 else "middle"
        assert tick.anchor == expected
        assert tick.pct.endswith("%")
    assert chart.marks[-1].anchor == "end"  # the last point's value sits left of it


def test_points_are_marked_with_their_value_at_most_forty() -> None:
    start = utcnow()
    many = [
        ProfitPoint(at=start + timedelta(hours=i), cumulative_cents=10 * i, bet_id=i)
        for i in range(1, 101)
    ]
    chart = profit_chart(many, ZONE)
    assert chart is not None
    assert len(chart.marks) == MAX_POINTS
    assert chart.marks[-1].value == "+10.00"  # the last is always marked
    assert "+10.00 units" in chart.marks[-1].title
    few = profit_chart(_points(500, -250), ZONE)
    assert few is not None
    assert [m.value for m in few.marks] == ["+5.00", "-2.50"]


def test_the_odds_chart_marks_each_quote_with_its_price() -> None:
    from courtside.models import OddsSnapshot
    from courtside.web.charts import odds_chart

    start = utcnow()
    snapshots = [
        OddsSnapshot(
            game_id=1, bookmaker=book, home_odds=odds, away_odds=120, recorded_at=start + delta
        )
        for book, odds, delta in [
            ("fanduel", -150, timedelta(0)),
            ("fanduel", -160, timedelta(hours=12)),
            ("betmgm", -140, timedelta(hours=6)),
        ]
    ]
    chart = odds_chart(snapshots, ZONE, home="BOS")
    assert chart is not None
    marks = {s.bookmaker: s.marks for s in chart.series}
    assert [m.value for m in marks["fanduel"]] == ["60.0%", "61.5%"]
    assert "fanduel" in marks["fanduel"][1].title and "BOS -160" in marks["fanduel"][1].title
    assert marks["betmgm"][0].x == pytest.approx(0.5)
