"""The README and docs/ stay true: the configuration table is the settings classes' own, the
README names the two commands, and the rules the code enforces are the ones written down."""

from pathlib import Path

from scripts.settings_table import table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
WEB = (ROOT / "docs" / "web.md").read_text()


def test_configuration_table_matches_the_settings_classes():
    assert table() in CONFIGURATION, (
        "regenerate docs/configuration.md's table: "
        "PYTHONPATH=api .venv/bin/python scripts/settings_table.py"
    )


def test_readme_names_the_two_commands():
    """The quick start's commands are `make run` and `make test`, each a Makefile target
    whose help says what the README says it does."""
    import re

    makefile = (ROOT / "Makefile").read_text()
    commands = re.findall(r"^make (\w+) +# (.+)$", README, re.MULTILINE)
    assert [name for name, _ in commands] == ["run", "test"], commands
    helps = dict(re.findall(r"^(\w+):[^#\n]*## (.+)$", makefile, re.MULTILINE))
    assert "embedded database" in helps["run"] and "demo" in helps["run"]
    assert "whole suite" in helps["test"] and "lint" in helps["test"]
    said = dict(commands)
    assert "serves on 127.0.0.1:8000" in said["run"] and "loads the demo season" in said["run"]
    assert "runs the whole suite" in said["test"] and "linters" in said["test"]


def test_readme_stays_a_five_minute_read():
    """Issue 14.9: references belong in docs/, linked from the README."""
    assert len(README.splitlines()) <= 200


def test_web_doc_says_a_refund_does_not_block_the_rescheduled_game():
    """Issue 11.11: the code accepts a new bet after a postponed game's refund (migration
    0004); docs/web.md must say so, and never the opposite."""
    flat = " ".join(WEB.split())
    assert "still counts as your one bet" not in flat
    assert "A bet refunded because the game was postponed does not count" in flat
    assert "you may place a new bet on it" in flat


def test_the_readme_example_day_is_still_to_be_played_in_the_demo_season():
    """Issue 22: the example used a fixed date, already final in the demo season (which is
    generated around the day it is loaded). The README computes the day instead: run that
    command, and no game of that league day can have been played yet."""
    import re
    import subprocess
    import sys
    from datetime import UTC, date, datetime, timedelta

    from scripts.demo_data import LEAGUE_ZONE, generate_season

    command = re.search(r"^day=\$\(python3 -c '([^']+)'\)$", README, re.MULTILINE)
    assert command, "the README computes the example day with python3 -c '...'"
    assert '"127.0.0.1:8000/v1/games?date=$day&status=scheduled"' in README
    printed = subprocess.run(
        [sys.executable, "-c", command.group(1)], capture_output=True, text=True, check=True
    )
    day = date.fromisoformat(printed.stdout.strip())
    now = datetime.now(UTC)
    assert day >= now.astimezone(LEAGUE_ZONE).date() + timedelta(days=1)
    played = [
        game
        for game in generate_season(now=now).games
        if datetime.fromisoformat(game["start_time"]).astimezone(LEAGUE_ZONE).date() == day
        and game["status"] != "scheduled"
    ]
    assert played == []
