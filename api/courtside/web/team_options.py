"""The `<option>`s of a page's team filter (the board's and the record's), as a string.

Issue 23: each signed-in board and record looped over the 30 teams in Jinja for their
filter's options (an attribute lookup, a comparison and escapes per team, through the
template runtime). This writes the same markup the loops wrote, byte for byte
(`tests/api/betting/test_team_options.py` renders both).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from courtside.services.reference_data import TeamRef
from courtside.web.html_escape import escape_text


def team_options(teams: Sequence[TeamRef], chosen: str, *, names: bool = False) -> Markup:
    """An option per team, `chosen` selected; labelled by abbreviation, and with `names`
    the team's name after it."""
    parts = []
    for team in teams:
        abbreviation = escape_text(team.abbreviation)
        selected = "selected" if team.abbreviation == chosen else ""
        label = f"{abbreviation} {escape_text(team.name)}" if names else abbreviation
        parts.append(f'<option value="{abbreviation}" {selected}>{label}</option>')
    return Markup("".join(parts))  # noqa: S704 (every value escaped above)
