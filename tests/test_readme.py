"""The README stays true: its configuration table is the settings classes' own."""

from pathlib import Path

from scripts.settings_table import table

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_configuration_table_matches_the_settings_classes():
    assert table() in README, "regenerate it: PYTHONPATH=api python scripts/settings_table.py"


def test_readme_names_the_two_commands():
    assert "make run" in README
    assert "make test" in README
