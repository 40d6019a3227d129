"""The README stays true: its configuration table is the settings classes' own."""

from pathlib import Path

from scripts.settings_table import table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_configuration_table_matches_the_settings_classes():
    assert table() in README, "regenerate it: PYTHONPATH=api python scripts/settings_table.py"


def test_readme_names_the_two_commands():
    assert "make run" in README
    assert "make test" in README


def test_readme_says_a_refund_does_not_block_the_rescheduled_game():
    """Issue 11.11: the code accepts a new bet after a postponed game's refund (migration
    0004); the README must say so, and never the opposite."""
    flat = " ".join(README.split())
    assert "still counts as your one bet" not in flat
    assert "A bet refunded because the game was postponed does not count" in flat
    assert "you may place a new bet on it" in flat
