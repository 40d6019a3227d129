"""The game page's odds statistics, from the snapshots the page has read already.

The page reads a game's whole odds history for its chart; the four statistics it shows
(average and deviation over 24 hours and 7 days) are the same figures as the public
`/v1/games/{id}/odds?type=...` (`services.odds_movement`) computed in Python over those rows,
instead of four more statements. Same definitions: the window is `(now - w, now]`, the
deviation the population standard deviation (one snapshot: 0), values rounded as there, and
an empty window gives an overall row with no values. The page shows the overall figures only
(over all bookmakers); `web.odds_section` picks each window's snapshots and remembers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from courtside.schemas.odds_movement import OddsAggregate
from courtside.services.markets import Quote
from courtside.services.odds_movement import _aggregate, _empty


def _implied(odds: float) -> float:
    """`odds_movement.implied_probability_sql`: |o|/(|o|+100) when o < 0, else 100/(o+100)."""
    return -odds / (100.0 - odds) if odds < 0 else 100.0 / (odds + 100.0)


def _columns(snapshots: Sequence[Quote]) -> list[list[float]]:
    home = [float(s.home_odds) for s in snapshots]
    away = [float(s.away_odds) for s in snapshots]
    return [home, away, [_implied(o) for o in home], [_implied(o) for o in away]]


def _statistic(values: list[float], deviation: bool) -> float:
    mean = math.fsum(values) / len(values)
    if not deviation:
        return mean
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def overall_statistic(rows: Sequence[Quote], *, deviation: bool) -> OddsAggregate:
    """The overall figure (all bookmakers) of the snapshots a window holds: the average, or
    with `deviation` the population deviation; an empty window has no values."""
    if not rows:
        return _empty()
    return _aggregate(None, len(rows), [_statistic(c, deviation) for c in _columns(rows)])
