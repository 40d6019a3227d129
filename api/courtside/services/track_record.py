"""The model's track record, judged against the market's closing line.

For every final game with a prediction (the newest one, as `/v1/predictions` shows), the
model's home-win probability `p` and the outcome `y` (1 when home won) give:

- **hit**: the side given more than 50 % won (a 50 % forecast picks no one: a miss);
- **Brier score**: the mean of `(p - y)²` (0 is perfect, 0.25 is a coin toss);
- **log loss**: the mean of `-(y·ln p + (1-y)·ln(1-p))`, the probability given to what happened
  taken as at least 1e-15, so a sure forecast that failed costs 34.5, not infinity
  (0.693 is a coin toss);
- **calibration**: forecasts in deciles of `p` ([0, 0.1), ..., [0.9, 1]), each with its
  mean forecast and the rate at which home actually won.

The market's forecast is the closing line (`closing_line.closing_markets`: each book's last
pre-game quote, the best price per side) with the bookmaker's margin taken out:
`q_home = i_home / (i_home + i_away)` of the two implied probabilities. Games without a
closing quote on both sides count for the model only; every figure says how many games it
stands on. Months are the league's (tip-off in its time zone).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courtside.models import Game, GameStatus, Prediction
from courtside.odds import implied_probability
from courtside.services.closing_line import closing_markets

EPSILON = 1e-15
BINS = 10


@dataclass(frozen=True)
class Forecast:
    """One final game: the model's and the market's home-win probability, and the result."""

    game_id: int
    season: int
    tip_off: datetime
    home_won: bool
    model: float
    market: float | None


@dataclass(frozen=True)
class Scores:
    games: int
    hits: int
    brier: float
    log_loss: float

    @property
    def hit_rate(self) -> float:
        return self.hits / self.games


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    games: int
    mean_forecast: float | None
    observed_rate: float | None


@dataclass(frozen=True)
class Row:
    label: str
    model: Scores | None
    market: Scores | None


@dataclass(frozen=True)
class TrackRecord:
    overall: Row
    by_season: list[Row]
    by_month: list[Row]
    model_calibration: list[Bin]
    market_calibration: list[Bin]

    @property
    def games(self) -> int:
        return 0 if self.overall.model is None else self.overall.model.games


def scores(pairs: Sequence[tuple[float, bool]]) -> Scores | None:
    """Hit count, Brier score and log loss of `(probability, happened)` pairs."""
    if not pairs:
        return None
    hits = sum(p != 0.5 and (p > 0.5) == happened for p, happened in pairs)
    brier = sum((p - happened) ** 2 for p, happened in pairs) / len(pairs)
    loss = 0.0
    for p, happened in pairs:
        loss -= math.log(max(p if happened else 1 - p, EPSILON))
    return Scores(games=len(pairs), hits=hits, brier=brier, log_loss=loss / len(pairs))


def calibration(pairs: Sequence[tuple[float, bool]]) -> list[Bin]:
    """The ten deciles of the forecast, empty ones included (games 0, no rates)."""
    members: list[list[tuple[float, bool]]] = [[] for _ in range(BINS)]
    for p, happened in pairs:
        members[min(math.floor(p * BINS + 1e-9), BINS - 1)].append((p, happened))
    return [
        Bin(
            low=index / BINS,
            high=(index + 1) / BINS,
            games=len(group),
            mean_forecast=sum(p for p, _ in group) / len(group) if group else None,
            observed_rate=sum(h for _, h in group) / len(group) if group else None,
        )
        for index, group in enumerate(members)
    ]


def _row(label: str, forecasts: Sequence[Forecast]) -> Row:
    return Row(
        label=label,
        model=scores([(f.model, f.home_won) for f in forecasts]),
        market=scores([(f.market, f.home_won) for f in forecasts if f.market is not None]),
    )


def _rows(forecasts: Sequence[Forecast], key: Callable[[Forecast], str]) -> list[Row]:
    groups: dict[str, list[Forecast]] = {}
    for forecast in forecasts:
        groups.setdefault(key(forecast), []).append(forecast)
    return [_row(label, groups[label]) for label in sorted(groups)]


def season_label(season: int) -> str:
    return f"{season}-{(season + 1) % 100:02d}"


def track_record(forecasts: Sequence[Forecast], zone: ZoneInfo) -> TrackRecord:
    return TrackRecord(
        overall=_row("all games", forecasts),
        by_season=_rows(forecasts, lambda f: season_label(f.season)),
        by_month=_rows(forecasts, lambda f: f.tip_off.astimezone(zone).strftime("%Y-%m")),
        model_calibration=calibration([(f.model, f.home_won) for f in forecasts]),
        market_calibration=calibration(
            [(f.market, f.home_won) for f in forecasts if f.market is not None]
        ),
    )


def market_probability(home_odds: int, away_odds: int) -> float:
    """The closing line's home-win probability without the margin."""
    home, away = implied_probability(home_odds), implied_probability(away_odds)
    return home / (home + away)


async def forecasts(session: AsyncSession) -> list[Forecast]:
    """Every final game with a prediction, by tip-off (a final has a winner: a check
    constraint)."""
    newest = (
        select(
            Prediction.game_id,
            Prediction.home_win_probability,
            func.row_number()
            .over(
                partition_by=Prediction.game_id,
                order_by=(Prediction.created_at.desc(), Prediction.id.desc()),
            )
            .label("rank"),
        )
    ).subquery()
    rows = (
        await session.execute(
            select(Game, newest.c.home_win_probability)
            .join(newest, (newest.c.game_id == Game.id) & (newest.c.rank == 1))
            .where(
                Game.status == GameStatus.FINAL.value,
                Game.home_score.is_not(None),
                Game.away_score.is_not(None),
            )
            .order_by(Game.start_time, Game.id)
        )
    ).all()
    games = [game for game, _ in rows]
    closing = await closing_markets(session, games)
    found = []
    for game, probability in rows:
        market = closing.get(game.id)
        line = None
        if market is not None and market.home is not None and market.away is not None:
            line = market_probability(market.home.odds, market.away.odds)
        found.append(
            Forecast(
                game_id=game.id,
                season=game.season,
                tip_off=game.start_time,
                home_won=game.home_score > game.away_score,
                model=float(probability),
                market=line,
            )
        )
    return found


async def model_track_record(session: AsyncSession, *, zone: ZoneInfo) -> TrackRecord:
    """The track record over every final game with a prediction (months in `zone`)."""
    return track_record(await forecasts(session), zone)
