"""Targets on any scale: the estimators standardise y inside, and undo it in predict."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skirnet import IRNetRegressor, load, pretrained, save

SMALL = {"hidden_layer_sizes": "32x2-16", "lr": 1e-2, "max_epochs": 12, "random_state": 0}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=300)
    return X[:240], y[:240], X[240:], y[240:]


def _relative_mae(model, X, y):
    return float(np.mean(np.abs(model.predict(X) - y)) / np.std(y))


def test_the_parameter_is_public_and_on_by_default():
    model = IRNetRegressor()
    assert model.get_params()["standardize_target"] is True
    assert clone(model.set_params(standardize_target=False)).standardize_target is False


@pytest.mark.parametrize("factor", [1e-6, 1e4])
def test_the_error_relative_to_the_target_scale_does_not_depend_on_the_scale(data, factor):
    X, y, X_test, y_test = data
    reference = IRNetRegressor(**SMALL).fit(X, y)
    scaled = IRNetRegressor(**SMALL).fit(X, y * factor + 3 * factor)
    # fitted on the same 90 % of the rows (the rest validates)
    assert scaled.target_scale_[0] == pytest.approx(reference.target_scale_[0] * factor)
    assert scaled.target_mean_[0] == pytest.approx((reference.target_mean_[0] + 3) * factor)
    same = _relative_mae(reference, X_test, y_test)
    assert _relative_mae(scaled, X_test, y_test * factor + 3 * factor) == pytest.approx(
        same, rel=1e-3
    )
    # the same numbers reach the network: the losses it records are identical
    np.testing.assert_allclose(
        reference.history_[:, "valid_loss"], scaled.history_[:, "valid_loss"], rtol=1e-3
    )


def test_without_standardising_a_tiny_target_is_not_learnt(data):
    X, y, X_test, y_test = data
    factor = 1e-6
    kept = IRNetRegressor(**SMALL).fit(X, y * factor)
    raw = IRNetRegressor(**SMALL, standardize_target=False).fit(X, y * factor)
    assert raw.target_scale_.tolist() == [1.0] and raw.target_mean_.tolist() == [0.0]
    assert _relative_mae(kept, X_test, y_test * factor) < 0.5
    assert _relative_mae(raw, X_test, y_test * factor) > 2 * _relative_mae(
        kept, X_test, y_test * factor
    )


def test_each_target_of_several_has_its_own_scale(data):
    X, y, X_test, _ = data
    Y = np.column_stack([y * 1e-5, y * 1e3, np.full(len(y), 7.0)])
    model = IRNetRegressor(**SMALL, validation_fraction=0.0).fit(X, Y)
    np.testing.assert_allclose(model.target_scale_, [np.std(y) * 1e-5, np.std(y) * 1e3, 1.0])
    np.testing.assert_allclose(model.target_mean_, Y.mean(axis=0))
    pred = model.predict(X_test)
    assert pred.shape == (len(X_test), 3)
    # predictions are back in each target's units
    assert np.abs(pred[:, 0]).max() < 1e-3 < np.abs(pred[:, 1]).max()
    np.testing.assert_allclose(pred[:, 2], 7.0, atol=0.1)


def test_continued_training_keeps_the_first_fits_scale(data):
    X, y, *_ = data
    model = IRNetRegressor(**{**SMALL, "max_epochs": 2}).partial_fit(X, y)
    mean, scale = model.target_mean_.copy(), model.target_scale_.copy()
    model.partial_fit(X[:100], y[:100] * 5)
    np.testing.assert_array_equal(model.target_mean_, mean)
    np.testing.assert_array_equal(model.target_scale_, scale)


def test_save_and_load_keep_the_scale(data, tmp_path):
    X, y, X_test, _ = data
    model = IRNetRegressor(**SMALL).fit(X, y * 1e4)
    loaded = load(save(model, tmp_path / "m"))
    assert loaded.standardize_target is True
    np.testing.assert_array_equal(loaded.target_scale_, model.target_scale_)
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_a_model_saved_before_standardisation_loads_as_it_was(data, tmp_path):
    X, y, X_test, _ = data
    model = IRNetRegressor(**SMALL, standardize_target=False).fit(X, y)
    folder = save(model, tmp_path / "old")
    # what an older skirnet wrote: neither the parameter nor the fitted scale
    config = json.loads((folder / "skirnet.json").read_text())
    del config["params"]["standardize_target"]
    del config["fitted"]["target_mean_"], config["fitted"]["target_scale_"]
    (folder / "skirnet.json").write_text(json.dumps(config))
    loaded = load(folder)
    assert loaded.standardize_target is False
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))


def test_a_damaged_scale_is_refused_naming_the_file(data, tmp_path):
    X, y, *_ = data
    folder = save(IRNetRegressor(**{**SMALL, "max_epochs": 1}).fit(X, y), tmp_path / "m")
    config = json.loads((folder / "skirnet.json").read_text())
    config["fitted"]["target_scale_"] = [0.0]
    (folder / "skirnet.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"skirnet\.json: fitted target_scale_ must be positive"):
        load(folder)


def test_the_shipped_models_keep_their_raw_target():
    net = pretrained.load("oqmd-formation-enthalpy").named_steps["net"]
    assert net.standardize_target is False
    assert net.target_scale_.tolist() == [1.0] and net.target_mean_.tolist() == [0.0]


def test_fine_tuning_restates_a_kept_head_in_the_new_scale(data, tmp_path):
    X, y, X_test, _ = data
    source = IRNetRegressor(**SMALL).fit(X, y)
    folder = save(source, tmp_path / "source")
    # a new target a thousand times larger: a kept head is restated, so that before
    # training moves it, the fine-tuned net predicts what the source did
    kw = {"pretrained": folder, "lr": 1e-9, "max_epochs": 1, "validation_fraction": 0.0}
    tuned = IRNetRegressor(**kw, reset_output=False)
    tuned.fit(X, y * 1e3)
    assert tuned.output_kept_ is True
    # which is no start for a target in other units: "auto" (the default) sees it and
    # starts a new head; for the target in the source's units it keeps the source's
    assert IRNetRegressor(**kw).fit(X, y * 1e3).output_kept_ is False
    assert IRNetRegressor(**kw).fit(X, y).output_kept_ is True
    assert tuned.target_scale_[0] == pytest.approx(np.std(y) * 1e3)
    source_pred = source.predict(X_test)
    assert np.mean(np.abs(tuned.predict(X_test) - source_pred)) < 0.05 * np.std(y)
    # a reset head starts from the new target instead
    reset = IRNetRegressor(pretrained=folder, reset_output=True, lr=1e-9, max_epochs=1)
    reset.fit(X, y * 1e3)
    assert np.abs(reset.predict(X_test)).mean() > 10 * np.abs(source_pred).mean()


def test_fine_tuning_onto_another_property_starts_a_new_output_layer(data, tmp_path):
    X, y, X_test, _ = data
    folder = save(IRNetRegressor(**SMALL).fit(X, y), tmp_path / "source")
    # another property on the scale of a thermal expansion (1/K): the source's predictions,
    # restated in its units, would start the fine-tuned net off by five orders of magnitude
    other = (np.cos(X[:, 3]) + 0.3 * X[:, 4]) * 1e-5
    kw = {"pretrained": folder, "lr": 1e-9, "max_epochs": 1, "validation_fraction": 0.0}
    auto = IRNetRegressor(**kw).fit(X, other)
    kept = IRNetRegressor(**kw, reset_output=False).fit(X, other)
    assert (auto.reset_output, auto.output_kept_, kept.output_kept_) == ("auto", False, True)
    spread = float(np.mean(np.abs(other - np.median(other))))
    assert np.mean(np.abs(auto.predict(X) - other)) < 1.5 * spread  # a new head, at the median
    assert np.mean(np.abs(kept.predict(X) - other)) > 1e3 * spread
    assert load(save(auto, tmp_path / "tuned")).output_kept_ is False
    # numpy's booleans (a parameter grid's values) mean what Python's do
    assert IRNetRegressor(**kw, reset_output=np.True_).fit(X, y).output_kept_ is False
    assert IRNetRegressor(**kw, reset_output=np.False_).fit(X, other).output_kept_ is True
    assert IRNetRegressor(**SMALL).fit(X, y).output_kept_ is None  # nothing pretrained


def test_the_median_check_compares_mean_absolute_errors():
    from skirnet._fine_tuning import beats_the_median

    X = np.linspace(-1, 1, 50, dtype=np.float32)[:, None]
    layer = torch.nn.Linear(1, 1)
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.zero_()
    assert beats_the_median(layer, X, X + 0.1) is True
    assert beats_the_median(layer, X, 3.0 * X**2) is False  # worse than the constant
    layer.train()
    beats_the_median(layer, X, X, batch_size=7)  # several chunks
    assert layer.training  # the mode it was in
