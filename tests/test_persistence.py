"""Saving and loading: pickle/joblib and the pickle-free safetensors + JSON format."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import EpochTimer

from skirnet import IRNetRegressor, PlainNetRegressor, SRNetRegressor, load, save


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(5)
    X = rng.normal(size=(90, 5))
    return X, X[:, 0] + X[:, 1] ** 2


@pytest.fixture(scope="module", params=[IRNetRegressor, SRNetRegressor, PlainNetRegressor])
def fitted(request, data):
    X, y = data
    return request.param(hidden_layer_sizes="16x2-8", lr=1e-2, max_epochs=4, random_state=0).fit(
        X, y
    )


def test_pickle_round_trip(fitted, data):
    X, _ = data
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))


def test_joblib_round_trip(fitted, data, tmp_path):
    X, _ = data
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict(X), fitted.predict(X)
    )


def test_save_load_round_trip(fitted, data, tmp_path):
    X, _ = data
    folder = save(fitted, tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == [
        "optimizer.safetensors",
        "skirnet.json",
        "weights.safetensors",
    ]
    loaded = load(folder)
    assert type(loaded) is type(fitted)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert loaded.n_iter_ == fitted.n_iter_ and loaded.best_epoch_ == fitted.best_epoch_
    assert loaded.history_[:, "valid_loss"] == fitted.history_[:, "valid_loss"]
    config = json.loads((folder / "skirnet.json").read_text())
    assert config["versions"]["torch"] == torch.__version__
    assert "batches" not in config["history"][0]


def test_weights_file_is_plain_safetensors(fitted, tmp_path):
    """Any safetensors reader gets the module's exact state dict: no pickle involved."""
    from safetensors.torch import load_file

    folder = save(fitted, tmp_path / "model")
    state = load_file(str(folder / "weights.safetensors"))
    expected = fitted.module_.state_dict()
    assert state.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(state[name], tensor.cpu()), name


def test_numpy_scalars_and_list_sizes_round_trip(data, tmp_path):
    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes=[8, 8],
        max_epochs=np.int64(2),
        lr=np.float32(1e-2),
        random_state=np.int64(3),
    ).fit(X, y)
    loaded = load(save(model, tmp_path / "model"))
    assert loaded.get_params() == model.get_params()
    assert type(loaded.hidden_layer_sizes) is list and loaded.random_state == 3
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_random_state_instance_is_not_saved_and_says_so(data, tmp_path):
    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes="8", max_epochs=1, random_state=np.random.RandomState(0)
    ).fit(X, y)
    with pytest.warns(UserWarning, match="random_state is a RandomState instance"):
        folder = save(model, tmp_path / "model")
    assert load(folder).random_state is None


def test_feature_names_and_multi_output_survive(tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    Y = rng.normal(size=(40, 2))
    model = IRNetRegressor(hidden_layer_sizes=(8, 8), max_epochs=2, random_state=0).fit(frame, Y)
    loaded = load(save(model, tmp_path / "m"))
    assert list(loaded.feature_names_in_) == ["a", "b", "c"]
    assert loaded.get_params()["hidden_layer_sizes"] == (8, 8)
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    assert loaded.predict(frame).shape == (40, 2)


def test_loaded_model_can_warm_start(data, tmp_path):
    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes="8", max_epochs=2, warm_start=True, random_state=0
    ).fit(X, y)
    loaded = load(save(model, tmp_path / "m"))
    loaded.fit(X, y)
    assert loaded.n_iter_ == 4


def _resumable(**params) -> IRNetRegressor:
    """A warm-starting CPU model without validation, so every epoch trains."""
    defaults = {
        "hidden_layer_sizes": "8",
        "max_epochs": 2,
        "validation_fraction": 0.0,
        "warm_start": True,
        "random_state": 0,
        "device": "cpu",
    }
    return IRNetRegressor(**{**defaults, **params})


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
@pytest.mark.parametrize("continue_with", ["fit", "partial_fit"])
def test_loaded_model_resumes_training_exactly(data, tmp_path, optimizer, continue_with):
    X, y = data
    model = _resumable(hidden_layer_sizes="16x2-8", lr=1e-2, max_epochs=3, optimizer=optimizer)
    model.fit(X, y)
    model.partial_fit(X, y)  # one draw of the shuffling stream used
    loaded = load(save(model, tmp_path / "m"))
    for estimator in (model, loaded):
        getattr(estimator, continue_with)(X, y)
        getattr(estimator, continue_with)(X, y)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_optimizer_state_is_saved_and_old_folders_still_load(data, tmp_path):
    X, y = data
    model = _resumable().fit(X, y)
    folder = save(model, tmp_path / "m")
    loaded = load(folder)
    saved_state = model.net_.optimizer_.state_dict()["state"]
    loaded_state = loaded.net_.optimizer_.state_dict()["state"]
    # four layers (projection, hidden, batch norm, output) x (weight, bias)
    assert loaded_state.keys() == saved_state.keys() and len(saved_state) == 8
    for index, state in saved_state.items():
        assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
        for name, value in state.items():
            torch.testing.assert_close(loaded_state[index][name], value, rtol=0, atol=0)
    # a folder from before the optimiser was saved: loads, continues with a fresh optimiser
    (folder / "optimizer.safetensors").unlink()
    old = load(folder)
    assert old.net_.optimizer_.state_dict()["state"] == {}
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    old.fit(X, y)
    model.fit(X, y)
    assert not np.array_equal(old.predict(X), model.predict(X))


def test_custom_callbacks_are_dropped_with_a_warning(data, tmp_path):
    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes="8", max_epochs=1, callbacks=[EpochTimer()], random_state=0
    ).fit(X, y)
    with pytest.warns(UserWarning, match="Custom callbacks are not saved"):
        folder = save(model, tmp_path / "m")
    assert load(folder).callbacks is None


def test_save_errors(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save(IRNetRegressor(), tmp_path / "m")
    with pytest.raises(TypeError, match="use joblib.dump"):
        save(object(), tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="No skirnet model"):
        load(tmp_path / "nothing")


def test_cuda_saved_model_loads_on_cpu(fitted, data, tmp_path):
    """A model whose config says it was trained on CUDA loads on the CPU."""
    X, _ = data
    folder = save(fitted, tmp_path / "m")
    config = json.loads((folder / "skirnet.json").read_text())
    config["params"]["device"] = "cuda"
    config["fitted"]["device_"] = "cuda:0"
    (folder / "skirnet.json").write_text(json.dumps(config))
    loaded = load(folder)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert loaded.device_.startswith(expected)
    np.testing.assert_allclose(loaded.predict(X), fitted.predict(X), rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_really_trained_on_cuda_loads_on_cpu(data, tmp_path):
    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes="8", max_epochs=2, device="cuda", random_state=0
    ).fit(X, y)
    loaded = load(save(model, tmp_path / "m"), device="cpu")
    assert loaded.device_ == "cpu"
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-4, atol=1e-4)
    pickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(pickled.predict(X), model.predict(X), rtol=1e-5)


@pytest.mark.slow
def test_compiled_model_saves_plain_weights(data, tmp_path):
    """compile=True (torch.compile, ~40 s on 2 CPU cores): the weights file has no wrapper prefix."""
    from safetensors.torch import load_file

    from skirnet.nn import ResidualMLP

    X, y = data
    model = IRNetRegressor(
        hidden_layer_sizes="16x2-8", lr=1e-2, max_epochs=2, random_state=0, compile=True
    ).fit(X, y)
    assert type(model.module_).__name__ == "OptimizedModule"
    folder = save(model, tmp_path / "model")
    state = load_file(str(folder / "weights.safetensors"))
    assert not any(key.startswith("_orig_mod.") for key in state)
    plain = ResidualMLP(X.shape[1], model.architecture_, 1).eval()
    plain.load_state_dict(state)
    expected = model.predict(X)
    with torch.no_grad():
        got = plain(torch.as_tensor(X, dtype=torch.float32)).numpy().ravel()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(load(folder).predict(X), expected)


def test_a_foreign_optimizer_file_is_refused(data, tmp_path):
    X, y = data
    small = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, random_state=0).fit(X, y)
    large = IRNetRegressor(hidden_layer_sizes="16", max_epochs=1, random_state=0).fit(X, y)
    folder = save(small, tmp_path / "small")
    save(large, tmp_path / "large")
    (tmp_path / "large" / "optimizer.safetensors").replace(folder / "optimizer.safetensors")
    with pytest.raises(ValueError, match=r"optimizer.safetensors: SHA-256 .* does not match"):
        load(folder)
    # a folder from before the checksum was recorded: the shapes still catch it
    config = json.loads((folder / "skirnet.json").read_text())
    del config["optimizer"]["sha256"]
    (folder / "skirnet.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="does not belong to this model"):
        load(folder)


def test_a_failed_save_leaves_the_previous_model_intact(data, tmp_path):
    X, y = data
    first = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, random_state=0).fit(X, y)
    second = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, random_state=1).fit(X, y)
    folder = save(first, tmp_path / "m")
    second.history_.record("note", object())  # a history entry JSON cannot hold
    with pytest.raises(TypeError, match="not JSON serializable"):
        save(second, folder)
    np.testing.assert_array_equal(load(folder).predict(X), first.predict(X))
    second.history_[-1]["note"] = np.float32(1.5)  # numpy scalars are fine
    save(second, folder)
    assert load(folder).history_[-1]["note"] == 1.5


def test_numpy_float_learning_rate_resumes_exactly(data, tmp_path):
    X, y = data
    model = _resumable(lr=np.float32(3e-3)).fit(X, y)
    loaded = load(save(model, tmp_path / "m"))
    model.fit(X, y)
    loaded.fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
