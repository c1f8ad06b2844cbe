"""Named training recipes."""

from __future__ import annotations

import pytest

from skirnet import IRNetRegressor
from skirnet.recipes import RECIPES, recipe_for_rows, recipe_params


def test_paper_recipe_is_the_papers():
    assert recipe_params("paper") == {
        "optimizer": "adam",
        "lr": 1e-4,
        "batch_size": 32,
        "lr_schedule": None,
        "weight_decay": 0.0,
        "max_epochs": 300,
        "patience": 20,
    }


def test_recipe_params_are_estimator_parameters_and_a_copy():
    params = recipe_params("large-batch")
    params["lr"] = 1.0
    assert RECIPES["large-batch"]["lr"] == 2e-3
    model = IRNetRegressor(**recipe_params("large-batch"))
    assert model.get_params()["batch_size"] == 1024
    assert model.get_params()["lr_schedule"] == "onecycle"


def test_unknown_recipe_names_the_choices():
    with pytest.raises(ValueError, match="Unknown recipe 'fast'; choose from large-batch, paper"):
        recipe_params("fast")


@pytest.mark.parametrize(
    ("rows", "name"), [(0, "paper"), (19_999, "paper"), (20_000, "large-batch")]
)
def test_recipe_for_rows(rows, name):
    assert recipe_for_rows(rows) == name


def test_large_batch_recipe_takes_the_measured_choices():
    params = recipe_params("large-batch")
    assert params["precision"] == "auto" and params["ema_decay"] == 0.995
    model = IRNetRegressor.from_recipe("large-batch")
    assert model.get_params()["ema_decay"] == 0.995
    # the paper's recipe stays exactly the paper's: float32, no averaging
    paper = IRNetRegressor.from_recipe("paper")
    assert paper.precision == "fp32" and paper.ema_decay is None


def test_small_formula_tables_start_from_the_shipped_model_and_nothing_else_does():
    from pathlib import Path

    import numpy as np

    from skirnet.recipes import LARGE_TABLE_ROWS, SMALL_TABLE_SOURCE, pretrained_for_rows
    from skirnet.user_data import UserData, default_pretrained

    assert pretrained_for_rows(LARGE_TABLE_ROWS - 1) == SMALL_TABLE_SOURCE
    assert pretrained_for_rows(LARGE_TABLE_ROWS) is None

    def table(kind):
        return UserData(["NaCl"], np.ones(1), kind, kind, "target", np.array(["0"]), Path("t"))

    formulas = table("formula")
    assert default_pretrained(formulas, 500, "irnet") == SMALL_TABLE_SOURCE
    assert default_pretrained(formulas, 500, "irnet", "composition+fractions") == (
        SMALL_TABLE_SOURCE  # the shipped model's own inputs, asked for by name
    )
    assert default_pretrained(formulas, 500, "irnet", "fractions") is None
    assert default_pretrained(formulas, 500, "irnet", own_architecture=True) is None
    assert default_pretrained(formulas, 500, "srnet") is None
    assert default_pretrained(formulas, LARGE_TABLE_ROWS, "irnet") is None
    assert default_pretrained(table("structure"), 500, "irnet") is None
