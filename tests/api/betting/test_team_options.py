"""The team filters' options built as a string (`web.team_options`, issue 23) are the bytes
the templates' loops wrote: both loops rendered here with the site's Jinja environment,
over every team chosen, none, an unknown one, and names and abbreviations that need
escaping."""

from __future__ import annotations

import pytest

from courtside.services.reference_data import TeamRef
from courtside.web.team_options import team_options
from courtside.web.templating import environment

RECORD_LOOP = (
    '{% for t in teams %}<option value="{{ t.abbreviation }}" {% if q_team == t.abbreviation %}'
    "selected{% endif %}>{{ t.abbreviation }}</option>{% endfor %}"
)
BOARD_LOOP = (
    '{% for t in teams %}<option value="{{ t.abbreviation }}" {% if t.abbreviation == team %}'
    "selected{% endif %}>{{ t.abbreviation }} {{ t.name }}</option>{% endfor %}"
)
TEAMS = [
    TeamRef(1, "ATL", "Atlanta", "Hawks"),
    TeamRef(2, "BOS", "Boston", "Celtics"),
    TeamRef(3, "PHI", "Philadelphia", "76ers"),
    TeamRef(4, "POR", "Portland", "Trail Blazers"),
    TeamRef(5, "A&B", "Q<u>ote", 'It\'s "odd" <b>&amp;</b>'),
]


@pytest.mark.parametrize("chosen", ["", "ATL", "POR", "A&B", "XYZ", "atl"])
def test_the_options_are_the_loops_bytes(chosen: str) -> None:
    env = environment()
    for teams in (TEAMS, TEAMS[:1], []):
        record = env.from_string(RECORD_LOOP).render(teams=teams, q_team=chosen)
        board = env.from_string(BOARD_LOOP).render(teams=teams, team=chosen)
        assert str(team_options(teams, chosen)) == record
        assert str(team_options(teams, chosen, names=True)) == board
    escaped = str(team_options(TEAMS, chosen, names=True))
    assert "A&amp;B" in escaped and "&amp;amp;" in escaped and "&#34;odd&#34;" in escaped
