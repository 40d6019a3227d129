"""Deterministic demo season: the 30 real franchises, synthetic rosters, a full schedule.

`generate_season(seed=..., now=...)` returns the same records for the same seed and clock.
Past games are final (a couple postponed), games in progress are live, upcoming games are
scheduled; games in the next two weeks carry moneyline snapshots that move over the last
week, and a model prediction; final games keep the snapshots of the week before their
tip-off and their prediction (issue 25: their pages chart the line, the track record has
games). Records use natural keys and the field names of the ingestion
API (`POST /v1/ingest/{dataset}`), so the same season can be loaded in-process or over HTTP.

    python scripts/demo_data.py load [--if-empty] [--seed N] [--scale N]   # into DATABASE_URL
    python scripts/demo_data.py dump [--seed N]                 # JSON on stdout
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_SEED = 20261023
LEAGUE_ZONE = ZoneInfo("America/New_York")
BOOKMAKERS = ("fanduel", "draftkings", "betmgm")
MODEL_VERSION = "elo-demo-1"
ODDS_HORIZON_DAYS = 14
SNAPSHOT_EVERY_HOURS = 12
SNAPSHOT_HISTORY_DAYS = 7
GAME_LENGTH = timedelta(hours=2, minutes=30)

# abbreviation, city, name, conference, division
FRANCHISES: tuple[tuple[str, str, str, str, str], ...] = (
    ("BOS", "Boston", "Celtics", "East", "Atlantic"),
    ("BKN", "Brooklyn", "Nets", "East", "Atlantic"),
    ("NYK", "New York", "Knicks", "East", "Atlantic"),
    ("PHI", "Philadelphia", "76ers", "East", "Atlantic"),
    ("TOR", "Toronto", "Raptors", "East", "Atlantic"),
    ("CHI", "Chicago", "Bulls", "East", "Central"),
    ("CLE", "Cleveland", "Cavaliers", "East", "Central"),
    ("DET", "Detroit", "Pistons", "East", "Central"),
    ("IND", "Indiana", "Pacers", "East", "Central"),
    ("MIL", "Milwaukee", "Bucks", "East", "Central"),
    ("ATL", "Atlanta", "Hawks", "East", "Southeast"),
    ("CHA", "Charlotte", "Hornets", "East", "Southeast"),
    ("MIA", "Miami", "Heat", "East", "Southeast"),
    ("ORL", "Orlando", "Magic", "East", "Southeast"),
    ("WAS", "Washington", "Wizards", "East", "Southeast"),
    ("DEN", "Denver", "Nuggets", "West", "Northwest"),
    ("MIN", "Minnesota", "Timberwolves", "West", "Northwest"),
    ("OKC", "Oklahoma City", "Thunder", "West", "Northwest"),
    ("POR", "Portland", "Trail Blazers", "West", "Northwest"),
    ("UTA", "Utah", "Jazz", "West", "Northwest"),
    ("GSW", "Golden State", "Warriors", "West", "Pacific"),
    ("LAC", "Los Angeles", "Clippers", "West", "Pacific"),
    ("LAL", "Los Angeles", "Lakers", "West", "Pacific"),
    ("PHX", "Phoenix", "Suns", "West", "Pacific"),
    ("SAC", "Sacramento", "Kings", "West", "Pacific"),
    ("DAL", "Dallas", "Mavericks", "West", "Southwest"),
    ("HOU", "Houston", "Rockets", "West", "Southwest"),
    ("MEM", "Memphis", "Grizzlies", "West", "Southwest"),
    ("NOP", "New Orleans", "Pelicans", "West", "Southwest"),
    ("SAS", "San Antonio", "Spurs", "West", "Southwest"),
)

FIRST_NAMES = (
    "Aaron",
    "Andre",
    "Bam",
    "Caleb",
    "Cam",
    "Chris",
    "Darius",
    "De'Aaron",
    "Derrick",
    "Devin",
    "Donovan",
    "Evan",
    "Franz",
    "Gary",
    "Isaiah",
    "Jalen",
    "Jamal",
    "Jaren",
    "Jaylen",
    "Jordan",
    "Josh",
    "Julius",
    "Keegan",
    "Kevin",
    "Kyle",
    "Lauri",
    "Malik",
    "Marcus",
    "Mikal",
    "Miles",
    "Myles",
    "Nikola",
    "Norman",
    "OG",
    "Paolo",
    "Scottie",
    "Shai",
    "Tyrese",
    "Victor",
    "Zion",
)
LAST_NAMES = (
    "Adams",
    "Allen",
    "Anderson",
    "Barnes",
    "Bridges",
    "Brooks",
    "Brown",
    "Carter",
    "Collins",
    "Davis",
    "Edwards",
    "Fox",
    "Green",
    "Grant",
    "Harris",
    "Hart",
    "Holiday",
    "Jackson",
    "Johnson",
    "Jones",
    "Lopez",
    "Markkanen",
    "Martin",
    "Mitchell",
    "Murray",
    "Okafor",
    "Porter",
    "Randle",
    "Robinson",
    "Smith",
    "Thompson",
    "Turner",
    "Walker",
    "Washington",
    "White",
    "Williams",
    "Wright",
    "Young",
)
POSITIONS = ("G", "G", "G", "G-F", "F", "F", "F", "F-C", "C", "C")
ROSTER_SIZE = 15
TIP_OFFS = (time(19, 0), time(19, 30), time(20, 0), time(21, 0), time(22, 0), time(22, 30))
INJURY_STATUSES = ("out", "doubtful", "questionable", "probable", "day-to-day")
INJURY_NOTES = (
    "Left ankle sprain",
    "Right knee soreness",
    "Hamstring strain",
    "Illness",
    "Back spasms",
    "Concussion protocol",
    "Rest",
)


@dataclass
class DemoSeason:
    season: int
    teams: list[dict[str, Any]] = field(default_factory=list)
    players: list[dict[str, Any]] = field(default_factory=list)
    games: list[dict[str, Any]] = field(default_factory=list)
    odds: list[dict[str, Any]] = field(default_factory=list)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    injuries: list[dict[str, Any]] = field(default_factory=list)

    def datasets(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Datasets in load order (references before the rows that point at them)."""
        return [
            ("teams", self.teams),
            ("players", self.players),
            ("games", self.games),
            ("odds", self.odds),
            ("predictions", self.predictions),
            ("injuries", self.injuries),
        ]


def season_for(day: date) -> int:
    """The season (named by its start year) that `day` belongs to; it starts in October."""
    return day.year if day.month >= 8 else day.year - 1


def _matchups(rng: random.Random) -> list[tuple[str, str]]:
    """82 games a team, as the NBA does: 4 vs division, 3-4 vs conference, 2 vs the other."""
    by_division: dict[str, list[str]] = {}
    conference_of: dict[str, str] = {}
    for abbr, _city, _name, conference, division in FRANCHISES:
        by_division.setdefault(division, []).append(abbr)
        conference_of[division] = conference
    games: list[tuple[str, str]] = []
    abbrs = [f[0] for f in FRANCHISES]
    team_conf = {f[0]: f[3] for f in FRANCHISES}
    team_div = {f[0]: f[4] for f in FRANCHISES}
    for i, a in enumerate(abbrs):
        for b in abbrs[i + 1 :]:
            if team_div[a] == team_div[b]:
                count = 4
            elif team_conf[a] == team_conf[b]:
                count = 3
            else:
                count = 2
            for n in range(count):
                games.append((a, b) if n % 2 == 0 else (b, a))
    # Within a conference, each team plays 6 of its 10 non-division opponents a 4th time:
    # between two divisions of five, team i meets teams i, i+1, i+2 (mod 5) of the other.
    for conference in ("East", "West"):
        divisions = [d for d, c in conference_of.items() if c == conference]
        for x in range(len(divisions)):
            for y in range(x + 1, len(divisions)):
                first, second = by_division[divisions[x]], by_division[divisions[y]]
                for i, a in enumerate(first):
                    for offset in range(3):
                        b = second[(i + offset) % 5]
                        games.append((a, b) if rng.random() < 0.5 else (b, a))
    rng.shuffle(games)
    return games


def _schedule(
    matchups: list[tuple[str, str]], first_day: date, rng: random.Random
) -> list[tuple[date, str, str]]:
    """Place every game on a day where neither team already plays, about seven a day."""
    remaining = list(matchups)
    placed: list[tuple[date, str, str]] = []
    day = first_day
    played_yesterday: set[str] = set()
    while remaining:
        busy: set[str] = set()
        target = rng.choice((5, 6, 7, 8, 9, 10))
        still: list[tuple[str, str]] = []
        for home, away in remaining:
            fits = (
                len(busy) < target * 2
                and home not in busy
                and away not in busy
                and not (home in played_yesterday and away in played_yesterday)
            )
            if fits:
                busy.update((home, away))
                placed.append((day, home, away))
            else:
                still.append((home, away))
        remaining = still
        played_yesterday = busy
        day += timedelta(days=1)
    return placed


def _win_probability(home_rating: float, away_rating: float) -> float:
    """Logistic on the rating gap, with a home-court edge of about 2.5 points."""
    return 1 / (1 + math.exp(-(home_rating - away_rating + 2.5) / 7.5))


def american_odds(probability: float) -> int:
    """American moneyline for a vig-inclusive probability, rounded to 5, never in (-100, 100)."""
    probability = min(max(probability, 0.02), 0.98)
    if probability >= 0.5:
        raw = -100 * probability / (1 - probability)
        odds = -max(100, int(round(-raw / 5) * 5))
    else:
        raw = 100 * (1 - probability) / probability
        odds = max(100, int(round(raw / 5) * 5))
    return odds


def _score_pair(rng: random.Random, home_wins: bool) -> tuple[int, int]:
    winner = rng.randint(100, 132)
    loser = winner - rng.randint(1, 22)
    return (winner, loser) if home_wins else (loser, winner)


def live_progress(external_id: str, tip_off: datetime, now: datetime) -> dict[str, int]:
    """A plausible state of a game in progress: the period, the seconds left in it and a
    score that grows with the game clock (each team's scoring rate is fixed per game, so a
    later refresh never lowers a score)."""
    rng = random.Random(external_id)
    rates = (rng.uniform(2.0, 2.6), rng.uniform(2.0, 2.6))
    played = min(48.0, max(0.0, (now - tip_off) / (GAME_LENGTH - timedelta(minutes=10)) * 48))
    period = min(4, int(played // 12) + 1)
    clock = max(0, min(720, round((12 * period - played) * 60)))
    home, away = (int(rate * played) for rate in rates)
    return {"home_score": home, "away_score": away, "period": period, "clock_seconds": clock}


def _players(rng: random.Random, season: int, games_played: dict[str, int]) -> list[dict[str, Any]]:
    players: list[dict[str, Any]] = []
    for abbr, *_rest in FRANCHISES:
        jerseys = rng.sample(range(0, 100), ROSTER_SIZE)
        for slot in range(ROSTER_SIZE):
            starter = slot < 5
            position = POSITIONS[slot % len(POSITIONS)]
            minutes = rng.uniform(28, 37) if starter else rng.uniform(6, 24)
            big = position in ("C", "F-C")
            points = minutes * rng.uniform(0.35, 0.8)
            stats = []
            for year, played in ((season - 1, rng.randint(40, 82)), (season, games_played[abbr])):
                if played == 0:
                    continue
                drift = rng.uniform(0.85, 1.15)
                stats.append(
                    {
                        "season": year,
                        "games_played": min(played, 82),
                        "minutes": round(minutes * drift, 1),
                        "points": round(points * drift, 1),
                        "rebounds": round(minutes * (0.3 if big else 0.13) * drift, 1),
                        "assists": round(minutes * (0.06 if big else 0.17) * drift, 1),
                        "steals": round(minutes * 0.03 * drift, 1),
                        "blocks": round(minutes * (0.05 if big else 0.01) * drift, 1),
                        "field_goal_pct": round(rng.uniform(0.40, 0.58 if big else 0.50), 3),
                        "three_point_pct": round(rng.uniform(0.25 if big else 0.31, 0.42), 3),
                        "free_throw_pct": round(rng.uniform(0.62 if big else 0.72, 0.92), 3),
                    }
                )
            players.append(
                {
                    "external_id": f"demo-{abbr.lower()}-{slot + 1:02d}",
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": rng.choice(LAST_NAMES),
                    "team": abbr,
                    "position": position,
                    "jersey": str(jerseys[slot]),
                    "active": rng.random() > 0.03,
                    "season_stats": stats,
                }
            )
    return players


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def generate_season(
    *, seed: int = DEFAULT_SEED, now: datetime | None = None, past_markets: bool = True
) -> DemoSeason:
    """The demo season containing `now` (default: the real clock), fully determined by both.
    With `past_markets`, final games keep the odds history they had before tip-off and a
    prediction (their game pages chart the movement; the track record has data)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    season = season_for(now.astimezone(LEAGUE_ZONE).date())
    result = DemoSeason(season=season)
    result.teams = [
        {"abbreviation": a, "city": c, "name": n, "conference": conf, "division": div}
        for a, c, n, conf, div in FRANCHISES
    ]
    ratings = {abbr: rng.gauss(0, 3.5) for abbr, *_ in FRANCHISES}

    opening_day = date(season, 10, 20)
    placed = _schedule(_matchups(rng), opening_day, rng)
    placed.sort(key=lambda item: (item[0], item[1]))
    tip_offs = [
        datetime.combine(day, rng.choice(TIP_OFFS), tzinfo=LEAGUE_ZONE).astimezone(UTC)
        for day, _home, _away in placed
    ]
    past = [i for i, tip_off in enumerate(tip_offs) if tip_off + GAME_LENGTH <= now]
    postponed = set(rng.sample(past, min(2, len(past))))
    games_played = {abbr: 0 for abbr, *_ in FRANCHISES}
    for index, ((_day, home, away), tip_off) in enumerate(zip(placed, tip_offs, strict=True)):
        probability = _win_probability(ratings[home], ratings[away])
        game: dict[str, Any] = {
            "external_id": f"demo-{season}-{index + 1:04d}",
            "season": season,
            "start_time": _iso(tip_off),
            "home_team": home,
            "away_team": away,
            "status": "scheduled",
            "home_score": None,
            "away_score": None,
        }
        if tip_off + GAME_LENGTH <= now:
            if index in postponed:
                game["status"] = "postponed"
            else:
                home_score, away_score = _score_pair(rng, rng.random() < probability)
                game.update(status="final", home_score=home_score, away_score=away_score)
                games_played[home] += 1
                games_played[away] += 1
                if past_markets:  # the line it moved through up to tip-off, and a prediction
                    pre_game = random.Random(f"{seed}:{game['external_id']}")  # `rng` untouched
                    _add_market(result, pre_game, game, probability, tip_off)
        elif tip_off <= now:  # in progress: a live score, and the line it closed at
            game.update(status="live", **live_progress(game["external_id"], tip_off, now))
            pre_game = random.Random(f"{seed}:{game['external_id']}")  # leaves `rng` as it was
            _add_market(result, pre_game, game, probability, tip_off)
        elif tip_off <= now + timedelta(days=ODDS_HORIZON_DAYS):
            _add_market(result, rng, game, probability, now)
        result.games.append(game)

    result.players = _players(rng, season, games_played)
    injured = rng.sample(result.players, 24)
    for player in injured:
        reported = (now - timedelta(days=rng.randint(0, 13))).astimezone(LEAGUE_ZONE).date()
        result.injuries.append(
            {
                "player": player["external_id"],
                "reported_on": reported.isoformat(),
                "status": rng.choice(INJURY_STATUSES),
                "description": rng.choice(INJURY_NOTES),
            }
        )
    return result


def _years_earlier(moment: datetime, years: int) -> datetime:
    """The same moment `years` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def generate_seasons(
    count: int, *, seed: int = DEFAULT_SEED, now: datetime | None = None
) -> DemoSeason:
    """`count` demo seasons in one (benchmarks at scale): the current one, then each earlier
    season as it looked at the same moment of its own year, with a roster of its own (player
    ids suffixed by season, last names prefixed by it: the generator reuses a short list of
    names, and real players' names are nearly unique); only the current season's final games
    keep their odds history, so 80 seasons hold ~98,000 games,
    ~378,000 odds snapshots (and the current season's past lines) and 36,000 players."""
    from courtside.schemas.ingest import FIRST_SEASON

    now = (now or datetime.now(UTC)).astimezone(UTC)
    combined = generate_season(seed=seed, now=now)
    available = combined.season - FIRST_SEASON + 1
    if count > available:
        raise ValueError(
            f"{count} seasons do not fit: the league accepts seasons from {FIRST_SEASON}, "
            f"so at most {available} up to {combined.season}"
        )
    for back in range(1, count):
        earlier = generate_season(
            seed=seed + back, now=_years_earlier(now, back), past_markets=False
        )
        assert earlier.season == combined.season - back, (earlier.season, back)
        renamed = {
            player["external_id"]: f"{player['external_id']}-{earlier.season}"
            for player in earlier.players
        }
        for player in earlier.players:
            player["external_id"] = renamed[player["external_id"]]
            player["last_name"] = f"{earlier.season}-{player['last_name']}"
        for injury in earlier.injuries:
            injury["player"] = renamed[injury["player"]]
        combined.players += earlier.players
        combined.games += earlier.games
        combined.odds += earlier.odds
        combined.predictions += earlier.predictions
        combined.injuries += earlier.injuries
    return combined


def _add_market(
    result: DemoSeason, rng: random.Random, game: dict[str, Any], probability: float, now: datetime
) -> None:
    """Snapshots every 12 hours over the last week, each bookmaker's line drifting a little."""
    snapshots = SNAPSHOT_HISTORY_DAYS * 24 // SNAPSHOT_EVERY_HOURS
    latest = now.replace(minute=0, second=0, microsecond=0)
    for bookmaker in BOOKMAKERS:
        drift = rng.uniform(-0.04, 0.04)
        for step in range(snapshots, -1, -1):
            recorded_at = latest - timedelta(hours=SNAPSHOT_EVERY_HOURS * step)
            fair = min(
                max(probability + drift * (1 - step / snapshots) + rng.gauss(0, 0.006), 0.05), 0.95
            )
            result.odds.append(
                {
                    "game": game["external_id"],
                    "bookmaker": bookmaker,
                    "home_odds": american_odds(fair + 0.022),
                    "away_odds": american_odds(1 - fair + 0.022),
                    "recorded_at": _iso(recorded_at),
                }
            )
    result.predictions.append(
        {
            "game": game["external_id"],
            "model_version": MODEL_VERSION,
            "home_win_probability": round(
                min(max(probability + rng.gauss(0, 0.03), 0.01), 0.99), 4
            ),
        }
    )


LOAD_CHUNK = 1_000
DEMO_ACTOR_NAME = "demo-data"


async def load_season(season: DemoSeason, *, if_empty: bool = False) -> dict[str, int]:
    """Upsert `season` through the ingestion service (idempotent), one batch per chunk.

    With `if_empty`, does nothing when teams already exist. Demo accounts are created only
    when ENVIRONMENT is `local`.
    """
    from sqlalchemy import func, select

    from courtside.models import Team
    from courtside.schemas.ingest import Dataset
    from courtside.services.audit import Actor
    from courtside.services.ingest import ingest
    from courtside.settings import get_app_settings
    from courtside.unit_of_work import unit_of_work

    actor = Actor("system", None, DEMO_ACTOR_NAME)
    written: dict[str, int] = {}
    async with unit_of_work() as work:
        has_teams = bool(await work.session.scalar(select(func.count()).select_from(Team)))
    if not (if_empty and has_teams):
        for dataset, records in season.datasets():
            for start in range(0, len(records), LOAD_CHUNK):
                chunk = records[start : start + LOAD_CHUNK]
                async with unit_of_work() as work:  # one batch, one commit, as the API does
                    result = await ingest(work.session, Dataset(dataset), chunk, actor=actor)
                written[dataset] = written.get(dataset, 0) + result.inserted + result.updated
    if get_app_settings().is_local:
        from courtside.services.users import ensure_demo_accounts

        async with unit_of_work() as work:
            await ensure_demo_accounts(work.session)
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio
    import json
    import sys
    from dataclasses import asdict

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("load", "dump"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="seasons to generate (benchmarks: 10 or 80; at most back to 1946)",
    )
    args = parser.parse_args(argv)
    season = (
        generate_season(seed=args.seed)
        if args.scale == 1
        else generate_seasons(args.scale, seed=args.seed)
    )
    if args.command == "dump":
        json.dump(asdict(season), sys.stdout, indent=1)
        return 0

    async def run() -> dict[str, int]:
        from courtside.db import dispose_engine

        try:
            return await load_season(season, if_empty=args.if_empty)
        finally:
            await dispose_engine()

    written = asyncio.run(run())
    if written:
        print("demo season loaded: " + ", ".join(f"{n} {d}" for d, n in written.items()))
    else:
        print("demo data already present; nothing loaded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
