"""Standings computed from final games: W, L, win %, games behind, streak, last 10."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from courtside.services.seasons import Executor, SeasonResults, season_results

CONFERENCE_ORDER = ("East", "West")


@dataclass
class TeamRecord:
    team: dict[str, Any]
    results: list[bool] = field(default_factory=list)
    """Win (True) or loss (False) of each final game, oldest first."""

    @property
    def wins(self) -> int:
        return sum(self.results)

    @property
    def losses(self) -> int:
        return len(self.results) - self.wins

    @property
    def win_pct(self) -> float:
        return round(self.wins / len(self.results), 3) if self.results else 0.0

    @property
    def streak(self) -> str:
        if not self.results:
            return ""
        last = self.results[-1]
        length = 0
        for result in reversed(self.results):
            if result != last:
                break
            length += 1
        return f"{'W' if last else 'L'}{length}"

    @property
    def last_10(self) -> str:
        recent = self.results[-10:]
        return f"{sum(recent)}-{len(recent) - sum(recent)}"


@dataclass(frozen=True)
class Standing:
    rank: int
    record: TeamRecord
    games_behind: float


def compute_standings(results: SeasonResults) -> dict[str, list[Standing]]:
    """Every team of each conference, best first (ties: more wins, then abbreviation)."""
    records = {team["id"]: TeamRecord(team) for team in results.teams}
    for home_id, away_id, home_score, away_score in results.finals:
        home_won = home_score > away_score
        records[home_id].results.append(home_won)
        records[away_id].results.append(not home_won)

    by_conference: dict[str, list[TeamRecord]] = defaultdict(list)
    for record in records.values():
        by_conference[record.team["conference"]].append(record)

    standings: dict[str, list[Standing]] = {}
    for conference in CONFERENCE_ORDER:
        ordered = sorted(
            by_conference.get(conference, []),
            key=lambda r: (-r.win_pct, -r.wins, r.team["abbreviation"]),
        )
        if not ordered:
            standings[conference] = []
            continue
        leader = ordered[0]
        standings[conference] = [
            Standing(
                rank=index + 1,
                record=record,
                games_behind=((leader.wins - record.wins) + (record.losses - leader.losses)) / 2,
            )
            for index, record in enumerate(ordered)
        ]
    return standings


async def standings_for(
    executor: Executor, season: int | None
) -> tuple[int | None, dict[str, list[Standing]]]:
    """The season (the current one when None) and its standings; (None, {}) with no games."""
    results = await season_results(executor, season)
    if results.season is None:
        return None, {}
    return results.season, compute_standings(results)
