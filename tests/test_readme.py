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
    assert "make run" in README
    assert "make test" in README


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
