"""Each league column is declared once: in `models/tables.py`, as an annotation of the
table's columns class; the mapped classes inherit it and declare no column of their own."""

import inspect

import pytest
from sqlalchemy import Integer, Table

from courtside.models import core, league, tables

MAPPED = [
    (league.Team, tables.teams),
    (league.Player, tables.players),
    (league.PlayerSeasonStats, tables.player_season_stats),
    (league.Game, tables.games),
    (league.OddsSnapshot, tables.odds_snapshots),
    (league.Prediction, tables.predictions),
    (league.Injury, tables.injuries),
    (core.RowCount, tables.row_counts),
]


@pytest.mark.parametrize(("cls", "table"), MAPPED, ids=[c.__name__ for c, _ in MAPPED])
def test_the_mapped_class_declares_no_column_and_maps_every_one(cls: type, table: Table) -> None:
    assert cls.__table__ is table  # type: ignore[attr-defined]
    assert not set(inspect.get_annotations(cls)) & set(table.c.keys())
    assert set(cls.__mapper__.columns.keys()) == set(table.c.keys())  # type: ignore[attr-defined]


def test_nullability_is_the_annotations_and_cannot_be_said_twice() -> None:
    assert tables.games.c.home_score.nullable
    assert not tables.games.c.home_team_id.nullable
    with pytest.raises(TypeError, match="annotation"):
        tables.col(Integer, nullable=True)
