"""docs/capacity.md is the capacity model's output for the committed figures, and the model
behaves as a model should (issue 24 item 7)."""

from __future__ import annotations

import copy

import pytest

from scripts import capacity_model as model


def test_the_document_is_the_scripts_output() -> None:
    expected = model.render(model.load_figures())
    assert model.DOCUMENT.read_text() == expected, (
        "regenerate it: PYTHONPATH=api .venv/bin/python scripts/capacity_model.py --write"
    )


def test_the_figures_cover_every_kind_of_request_the_model_prices() -> None:
    figures = model.load_figures()["figures"]
    assert set(figures) == {"public_hit", "public_miss", "signed_in_read", "bet_placement"}
    assert figures["public_hit"]["statements"] == 0  # a hit opens no connection
    assert figures["public_miss"]["statements"] == 1  # tests/api/league/test_round_trips.py


def test_load_grows_linearly_and_limits_follow_the_settings() -> None:
    figures = model.load_figures()["figures"]
    low, high = model.load_at(100, figures), model.load_at(1_000, figures)
    assert high.concurrency == pytest.approx(low.concurrency * 10)
    assert high.writer_cores == pytest.approx(low.writer_cores * 10)
    small, large = model.Shape("a", max_acu=4), model.Shape("b", max_acu=8)
    cpu = {
        shape.name: {n: r for r, n, _ in model.limits(shape, figures)} for shape in (small, large)
    }
    assert cpu["b"]["writer CPU"] == pytest.approx(
        cpu["a"]["writer CPU"] * 2
    )  # the ACU ceiling moves it
    assert cpu["b"]["writer connections"] > cpu["a"]["writer connections"]


def test_readers_take_the_public_misses_off_the_writer() -> None:
    figures = copy.deepcopy(model.load_figures()["figures"])
    load = model.load_at(1_000, figures)
    without, with_readers = model.Shape("a", max_acu=8), model.Shape("b", max_acu=8, readers=2)
    assert load.writer_cores_on(without) - load.writer_cores_on(with_readers) == pytest.approx(
        load.public_miss_cores
    )
    assert load.reader_cores(without) == 0
