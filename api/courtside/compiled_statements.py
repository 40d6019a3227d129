"""Every named statement's SQL on PostgreSQL (asyncpg), compiled ahead: written by
`scripts/compile_statements.py`, never by hand (`courtside.driver_reads` sends them). A test
compiles them again and fails while this differs (`tests/api/core/test_driver_reads.py`)."""

from typing import Any

POSTGRESQL: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    "teams.count": ("SELECT count(*) AS count_1 \nFROM teams", (), {}),
    "teams.page": (
        "SELECT teams.id, teams.abbreviation, teams.city, teams.name, "
        "teams.conference, teams.division, count(*) OVER () AS total \n"
        "FROM teams ORDER BY teams.abbreviation \n"
        " LIMIT $1 OFFSET $2",
        ("limit", "offset"),
        {"limit": None, "offset": None},
    ),
}
