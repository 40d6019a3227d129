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
    data = model.load_figures()
    kinds = {"public_hit", "public_miss", "signed_in_read", "bet_placement"}
    figures, run = data["figures"], data["load_run"]["figures"]
    assert set(figures) == kinds
    assert set(run) == kinds | {"mix"}  # the load run: a phase per kind, then the mix
    for measured in (figures, run):
        assert measured["public_hit"]["statements"] == 0  # a hit opens no connection
        assert measured["public_miss"]["statements"] == 1  # tests/api/league/test_round_trips.py
    # no statement for a hit: what the backends ran meanwhile is their idle housekeeping
    assert run["public_hit"]["db_cpu_ms"] < run["public_miss"]["db_cpu_ms"] / 10
    assert all(phase["requests"] > 0 and phase["app_cpu_ms"] > 0 for phase in run.values())
    assert data["load_run"]["load_average"]["before"].startswith("load average ")


def test_lambda_is_priced_in_process_and_the_database_by_the_load_run() -> None:
    data = copy.deepcopy(model.load_figures())
    before = model.load_at(1_000, model.inputs(data))
    data["load_run"]["figures"]["bet_placement"]["db_cpu_ms"] *= 2
    data["figures"]["signed_in_read"]["app_ms"] += 1
    after = model.load_at(1_000, model.inputs(data))
    bet = data["load_run"]["figures"]["bet_placement"]["db_cpu_ms"] / 2 / 1000  # the added
    added = 1_000 * model.MIX["bet_placement"] * bet
    assert after.writer_cores - before.writer_cores == pytest.approx(added)
    signed_in = 1_000 * model.MIX["signed_in_read"] * model.LAMBDA_CPU_FACTOR / 1000
    assert after.concurrency - before.concurrency == pytest.approx(signed_in)
    assert "| mix |" in model.render(data)  # the load run's table is on the page


def test_load_grows_linearly_and_limits_follow_the_settings() -> None:
    figures = model.inputs(model.load_figures())
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
    figures = model.inputs(model.load_figures())
    load = model.load_at(1_000, figures)
    without, with_readers = model.Shape("a", max_acu=8), model.Shape("b", max_acu=8, readers=2)
    assert load.writer_cores_on(without) - load.writer_cores_on(with_readers) == pytest.approx(
        load.public_miss_cores
    )
    assert load.reader_cores(without) == 0


def test_rds_read_replicas_are_priced_as_instances_of_the_class() -> None:
    alone = model.Shape("a", rds_class="m7g.large", multi_az=True)
    replicated = model.Shape("b", rds_class="m7g.large", multi_az=True, readers=2)
    assert replicated.monthly_cost(1, 1) == pytest.approx(alone.monthly_cost(1, 1) * 2)
    figures = model.inputs(model.load_figures())
    names = {name for _, name, _ in model.limits(replicated, figures)}
    assert "reader CPU" in names and "reader CPU" not in {
        n for _, n, _ in model.limits(alone, figures)
    }


def test_figures_of_an_earlier_load_run_method_are_flagged_as_floors() -> None:
    data = model.load_figures()
    data["load_run"].pop("method", None)
    assert "from an earlier load run** (method 1" in model.render(data)
    data["load_run"]["method"] = model.LOAD_RUN_METHOD
    assert "from an earlier load run" not in model.render(data)
