"""Every named statement's SQL on PostgreSQL (asyncpg), compiled ahead: written by
`scripts/compile_statements.py`, never by hand (`courtside.driver_reads` sends them). A test
compiles them again and fails while this differs (`tests/api/core/test_driver_reads.py`)."""

from typing import Any

Ahead = tuple[str, tuple[str, ...], dict[str, Any], dict[str, str]]
"""SQL, parameters in order, their fixed values, their conversions (`courtside.prepared`)."""

POSTGRESQL: dict[str, Ahead] = {
    "games.count": (
        "SELECT count(*) AS count_1 \n"
        "FROM (SELECT games.id AS id \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN teams AS "
        "away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND games.start_time "
        "< $2::TIMESTAMP WITH TIME ZONE) AS anon_1",
        ("start", "end"),
        {"end": None, "start": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.count.status": (
        "SELECT count(*) AS count_1 \n"
        "FROM (SELECT games.id AS id \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN "
        "teams AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND games.status = "
        "$3::VARCHAR) AS anon_1",
        ("start", "end", "status"),
        {"end": None, "start": None, "status": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.count.team": (
        "SELECT count(*) AS count_1 \n"
        "FROM (SELECT games.id AS id \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN "
        "teams AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND (home.abbreviation "
        "= $3::VARCHAR OR away.abbreviation = $3::VARCHAR)) AS anon_1",
        ("start", "end", "team"),
        {"end": None, "start": None, "team": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.count.team.status": (
        "SELECT count(*) AS count_1 \n"
        "FROM (SELECT games.id AS id \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id "
        "JOIN teams AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND "
        "(home.abbreviation = $3::VARCHAR OR away.abbreviation = "
        "$3::VARCHAR) AND games.status = $4::VARCHAR) AS anon_1",
        ("start", "end", "team", "status"),
        {"end": None, "start": None, "status": None, "team": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.page": (
        "SELECT games.id, games.external_id, games.season, games.start_time, "
        "games.status, games.home_score, games.away_score, games.period, "
        "games.clock_seconds, home.id AS home_id, home.abbreviation AS "
        "home_abbreviation, home.city AS home_city, home.name AS home_name, away.id AS "
        "away_id, away.abbreviation AS away_abbreviation, away.city AS away_city, "
        "away.name AS away_name, count(*) OVER () AS total \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN teams AS "
        "away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND games.start_time < "
        "$2::TIMESTAMP WITH TIME ZONE ORDER BY games.start_time, games.id \n"
        " LIMIT $3 OFFSET $4",
        ("start", "end", "limit", "offset"),
        {"end": None, "limit": None, "offset": None, "start": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.page.status": (
        "SELECT games.id, games.external_id, games.season, games.start_time, "
        "games.status, games.home_score, games.away_score, games.period, "
        "games.clock_seconds, home.id AS home_id, home.abbreviation AS "
        "home_abbreviation, home.city AS home_city, home.name AS home_name, "
        "away.id AS away_id, away.abbreviation AS away_abbreviation, away.city "
        "AS away_city, away.name AS away_name, count(*) OVER () AS total \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN "
        "teams AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND games.status = "
        "$3::VARCHAR ORDER BY games.start_time, games.id \n"
        " LIMIT $4 OFFSET $5",
        ("start", "end", "status", "limit", "offset"),
        {"end": None, "limit": None, "offset": None, "start": None, "status": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.page.team": (
        "SELECT games.id, games.external_id, games.season, games.start_time, "
        "games.status, games.home_score, games.away_score, games.period, "
        "games.clock_seconds, home.id AS home_id, home.abbreviation AS "
        "home_abbreviation, home.city AS home_city, home.name AS home_name, "
        "away.id AS away_id, away.abbreviation AS away_abbreviation, away.city AS "
        "away_city, away.name AS away_name, count(*) OVER () AS total \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id JOIN teams "
        "AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND (home.abbreviation = "
        "$3::VARCHAR OR away.abbreviation = $3::VARCHAR) ORDER BY "
        "games.start_time, games.id \n"
        " LIMIT $4 OFFSET $5",
        ("start", "end", "team", "limit", "offset"),
        {"end": None, "limit": None, "offset": None, "start": None, "team": None},
        {"end": "utc", "start": "utc"},
    ),
    "games.page.team.status": (
        "SELECT games.id, games.external_id, games.season, "
        "games.start_time, games.status, games.home_score, "
        "games.away_score, games.period, games.clock_seconds, home.id AS "
        "home_id, home.abbreviation AS home_abbreviation, home.city AS "
        "home_city, home.name AS home_name, away.id AS away_id, "
        "away.abbreviation AS away_abbreviation, away.city AS away_city, "
        "away.name AS away_name, count(*) OVER () AS total \n"
        "FROM games JOIN teams AS home ON home.id = games.home_team_id "
        "JOIN teams AS away ON away.id = games.away_team_id \n"
        "WHERE games.start_time >= $1::TIMESTAMP WITH TIME ZONE AND "
        "games.start_time < $2::TIMESTAMP WITH TIME ZONE AND "
        "(home.abbreviation = $3::VARCHAR OR away.abbreviation = "
        "$3::VARCHAR) AND games.status = $4::VARCHAR ORDER BY "
        "games.start_time, games.id \n"
        " LIMIT $5 OFFSET $6",
        ("start", "end", "team", "status", "limit", "offset"),
        {"end": None, "limit": None, "offset": None, "start": None, "status": None, "team": None},
        {"end": "utc", "start": "utc"},
    ),
    "teams.count": ("SELECT count(*) AS count_1 \nFROM teams", (), {}, {}),
    "teams.exists": (
        "SELECT EXISTS (SELECT * \nFROM teams \nWHERE teams.abbreviation = $1::VARCHAR) AS anon_1",
        ("abbreviation",),
        {"abbreviation": None},
        {},
    ),
    "teams.page": (
        "SELECT teams.id, teams.abbreviation, teams.city, teams.name, "
        "teams.conference, teams.division, count(*) OVER () AS total \n"
        "FROM teams ORDER BY teams.abbreviation \n"
        " LIMIT $1 OFFSET $2",
        ("limit", "offset"),
        {"limit": None, "offset": None},
        {},
    ),
}
