"""Transfer learning: fine-tuning from a saved network, freezing, feature extraction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skirnet import IRNetRegressor, SRNetRegressor, load, save
from skirnet.transfer import NetworkActivations

SIZES = "16x2-8"


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(240, 5)).astype(np.float32)
    return X, X[:, 0] + X[:, 1] ** 2, np.sin(X[:, 2]) + X[:, 0]  # source and new target


@pytest.fixture(scope="module")
def source(data, tmp_path_factory):
    X, y_source, _ = data
    model = IRNetRegressor(hidden_layer_sizes=SIZES, lr=1e-2, max_epochs=15, random_state=0)
    model.fit(X, y_source)
    return model, save(model, tmp_path_factory.mktemp("source") / "net")


def _hidden_weights(module):
    return {k: v.clone() for k, v in module.state_dict().items() if k.startswith("hidden.")}


def test_fine_tuning_starts_from_the_source_and_takes_its_architecture(data, source):
    X, _, y_new = data
    model, folder = source
    tuned = IRNetRegressor(pretrained=str(folder), max_epochs=3, lr=1e-3, random_state=0)
    tuned.fit(X, y_new)
    assert tuned.architecture_ == model.architecture_ == ((16, 2), (8, 1))  # not depth 17
    scratch = IRNetRegressor(hidden_layer_sizes=SIZES, max_epochs=3, lr=1e-3, random_state=0)
    scratch.fit(X, y_new)
    # three epochs at lr 1e-3 move the weights little: the tuned net's hidden layers are
    # still near the source's, far from a fresh initialisation (its output layer is new:
    # the source's predictions say little about this other target)
    assert tuned.output_kept_ is False
    source_w, tuned_w, scratch_w = (
        torch.cat([v.flatten() for k, v in _hidden_weights(m.module_).items() if "weight" in k])
        for m in (model, tuned, scratch)
    )
    assert (tuned_w - source_w).norm() < 0.2 * (scratch_w - source_w).norm()


def test_frozen_layers_stay_as_trained(data, source):
    X, _, y_new = data
    model, folder = source
    tuned = IRNetRegressor(pretrained=folder, freeze_layers=2, max_epochs=3, lr=1e-2)
    tuned.fit(X, y_new)
    before, after = _hidden_weights(model.module_), _hidden_weights(tuned.module_)
    trainable = {"weight", "bias"}
    for key, value in before.items():
        frozen_layer = key.startswith(("hidden.0.", "hidden.1."))
        if key.rsplit(".", 1)[-1] in trainable:
            assert torch.equal(value, after[key]) == frozen_layer, key
    with pytest.raises(ValueError, match="freeze_layers=4, but the network has 3 hidden"):
        IRNetRegressor(pretrained=folder, freeze_layers=4, max_epochs=1).fit(X, y_new)
    with pytest.raises(ValueError, match="freeze_layers needs a pretrained network"):
        IRNetRegressor(freeze_layers=1, max_epochs=1).fit(X, y_new)


def test_output_layer_kept_or_reset(data, source):
    X, y_source, _ = data
    model, folder = source
    kw = {"pretrained": folder, "freeze_layers": 3, "lr": 1e-9, "max_epochs": 1}
    kept = IRNetRegressor(**kw).fit(X, y_source)
    reset = IRNetRegressor(**kw, reset_output=True, random_state=0).fit(X, y_source)
    assert (kept.output_kept_, reset.output_kept_) == (True, False)
    w = model.module_.output.weight
    # a kept head is restated in the fine-tuned model's standardised units
    factor = float(model.target_scale_[0] / kept.target_scale_[0])
    torch.testing.assert_close(kept.module_.output.weight, w * factor, atol=1e-6, rtol=0)
    assert (reset.module_.output.weight - w * factor).abs().max() > 0.05
    # a new head starts at the median (standardised) target of the 90 % that trains
    median = (np.median(y_source) - reset.target_mean_[0]) / reset.target_scale_[0]
    assert reset.module_.output.bias.item() == pytest.approx(median, abs=0.05)
    two = IRNetRegressor(pretrained=folder, max_epochs=1).fit(X, np.c_[y_source, y_source])
    assert two.module_.output.weight.shape == (2, 8)  # more targets: always a new head


def test_mismatched_inputs_and_classes_are_refused(data, source):
    X, _, y_new = data
    _, folder = source
    with pytest.raises(ValueError, match=r"X has 3 features, but the pretrained model .* takes 5"):
        IRNetRegressor(pretrained=folder, max_epochs=1).fit(X[:, :3], y_new)
    with pytest.raises(ValueError, match="is a IRNetRegressor; fine-tune it with IRNetRegressor"):
        SRNetRegressor(pretrained=folder, max_epochs=1).fit(X, y_new)
    with pytest.raises(FileNotFoundError, match="neither a shipped model"):
        IRNetRegressor(pretrained="no-such-model", max_epochs=1).fit(X, y_new)


def test_feature_names_must_match(data, tmp_path):
    import pandas as pd

    X, y, y_new = data
    frame = pd.DataFrame(X, columns=list("abcde"))
    named = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1).fit(frame, y)
    folder = save(named, tmp_path / "named")
    renamed = frame.rename(columns={"c": "z"})
    with pytest.raises(ValueError, match="'z' where it had 'c'"):
        IRNetRegressor(pretrained=folder, max_epochs=1).fit(renamed, y_new)


def test_grid_search_cross_validation_and_clone(data, source):
    X, _, y_new = data
    _, folder = source
    base = IRNetRegressor(pretrained=str(folder), max_epochs=2, lr=1e-3, random_state=0)
    assert clone(base).get_params()["pretrained"] == str(folder)
    search = GridSearchCV(base, {"freeze_layers": [0, 2]}, cv=2).fit(X, y_new)
    assert search.best_estimator_.architecture_ == ((16, 2), (8, 1))
    scores = cross_val_score(base, X, y_new, cv=2, scoring="neg_mean_absolute_error")
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_fine_tuned_model_saves_and_loads(data, source, tmp_path):
    X, _, y_new = data
    _, folder = source
    tuned = IRNetRegressor(pretrained=folder, max_epochs=2, random_state=0).fit(X, y_new)
    loaded = load(save(tuned, tmp_path / "tuned"))
    assert loaded.architecture_ == tuned.architecture_
    np.testing.assert_array_equal(loaded.predict(X), tuned.predict(X))


def test_activations_as_features_for_a_forest(data, source):
    X, _, y_new = data
    model, folder = source
    features = NetworkActivations(folder, layer=-1).fit(X)
    Z = features.transform(X)
    with torch.no_grad():
        expected = model.module_.eval().hidden(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(Z, expected, rtol=1e-6)
    assert features.n_features_out_ == 8 and features.get_feature_names_out()[0] == "activation0"
    assert NetworkActivations(folder, layer=1).fit(X).transform(X).shape == (240, 16)
    pipe = make_pipeline(NetworkActivations(folder), RandomForestRegressor(20, random_state=0))
    assert pipe.fit(X, y_new).predict(X[:7]).shape == (7,)
    with pytest.raises(ValueError, match="layer=4, but the network has 3 hidden layers"):
        NetworkActivations(folder, layer=4).fit(X)
