"""Behaviour of IRNetRegressor, SRNetRegressor and PlainNetRegressor beyond sklearn's checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

import skirnet.device
from skirnet import IRNetRegressor, PlainNetRegressor, SRNetRegressor, load, save
from skirnet.callbacks import TrainingDivergedError

ESTIMATORS = [IRNetRegressor, SRNetRegressor, PlainNetRegressor]


class ValidationSpy(Callback):
    """Keeps the validation set each training call uses (the fitted model drops it)."""

    def __init__(self):
        self.valid = []

    def on_train_begin(self, net, **kwargs):
        split = net.train_split
        self.valid.append(None if split is None else split.keywords["valid_ds"])


FAST = {
    "hidden_layer_sizes": "16x2-8",
    "lr": 1e-2,
    "max_epochs": 5,
    "random_state": 0,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 6))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=120)
    return X, y


def test_defaults_follow_the_paper():
    model = IRNetRegressor()
    assert (model.depth, model.lr, model.batch_size) == (17, 1e-4, 32)
    assert (model.optimizer, model.validation_fraction, model.device) == ("adam", 0.1, "auto")
    assert model.architecture == ((1024, 4), (512, 3), (256, 3), (128, 3), (64, 2), (32, 1))


def test_hidden_layer_sizes_overrides_depth():
    assert IRNetRegressor(depth=48, hidden_layer_sizes="8x2").architecture == ((8, 2),)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_returns_self_and_sets_learned_attributes(cls, data):
    X, y = data
    model = cls(**FAST)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 6 and model.n_outputs_ == 1
    assert model.n_iter_ == len(model.history_) == 5
    assert model.device_ == "cpu"
    assert model.module_ is model.net_.module_
    assert model.architecture_ == ((16, 2), (8, 1))
    assert {"train_loss", "valid_loss", "dur"} <= set(model.history_[-1])
    assert 1 <= model.best_epoch_ <= 5
    assert model.module_.shortcut == cls._shortcut


def test_not_fitted_error():
    with pytest.raises(NotFittedError):
        IRNetRegressor().predict(np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_numeric_dtypes(dtype, data):
    X, y = data
    pred = IRNetRegressor(**FAST).fit((X * 10).astype(dtype), y).predict((X * 10).astype(dtype))
    assert pred.dtype == np.float64 and pred.shape == (120,)


def test_pandas_input_records_feature_names(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    model = IRNetRegressor(**FAST).fit(frame, pd.Series(y))
    assert list(model.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_allclose(model.predict(frame), model.predict(X))


def test_multi_output_shapes(data):
    X, y = data
    Y = np.column_stack([y, -y, 2 * y])
    model = SRNetRegressor(**FAST).fit(X, Y)
    assert model.n_outputs_ == 3 and model.predict(X).shape == (120, 3)
    assert IRNetRegressor(**FAST).fit(X, y[:, None]).predict(X).shape == (120, 1)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("X", np.nan, "Input X contains NaN"),
        ("X", np.inf, "Input X contains infinity"),
        ("y", np.nan, "Input y contains NaN"),
        ("y", -np.inf, "Input y contains infinity"),
    ],
)
def test_non_finite_input_is_rejected(where, value, message, data):
    X, y = data[0].copy(), data[1].copy()
    (X if where == "X" else y)[3] = value
    with pytest.raises(ValueError, match=message):
        IRNetRegressor(**FAST).fit(X, y)


def test_too_few_samples():
    with pytest.raises(ValueError, match="1 sample.*minimum of 2 is required"):
        IRNetRegressor(**FAST).fit(np.ones((1, 3)), [1.0])


def test_two_samples_train_without_validation():
    model = IRNetRegressor(**FAST).fit(np.array([[0.0, 1.0], [1.0, 0.0]]), [0.0, 1.0])
    assert "valid_loss" not in model.history_[-1] and model.best_epoch_ is None


@pytest.mark.parametrize("fast_path", [True, False])
def test_last_batch_of_one_sample_does_not_crash(fast_path):
    rng = np.random.RandomState(1)
    X, y = rng.normal(size=(33, 4)), rng.normal(size=33)
    model = IRNetRegressor(
        **{**FAST, "batch_size": 32, "validation_fraction": 0.0}, fast_path=fast_path
    ).fit(X, y)
    assert model.history_[-1]["batches"][0]["train_batch_size"] == 32
    assert len(model.history_[-1]["batches"]) == 1


def test_same_seed_same_predictions_and_global_rng_untouched(data):
    X, y = data
    state = torch.get_rng_state()
    a = IRNetRegressor(**FAST).fit(X, y).predict(X)
    b = IRNetRegressor(**FAST).fit(X, y).predict(X)
    c = IRNetRegressor(**{**FAST, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert torch.equal(state, torch.get_rng_state())


def test_early_stopping_restores_the_best_weights(data):
    X, y = data
    spy = ValidationSpy()
    model = IRNetRegressor(
        hidden_layer_sizes="32x2",
        lr=3e-2,
        max_epochs=300,
        patience=3,
        random_state=0,
        device="cpu",
        callbacks=[spy],
    ).fit(X, y)
    assert model.n_iter_ < 300
    assert model.n_iter_ - model.best_epoch_ == 3
    valid = spy.valid[0]
    # the net trains on standardised targets: its losses are in standard deviations
    y_valid = valid.y.ravel() * model.target_scale_[0] + model.target_mean_[0]
    mae = np.mean(np.abs(model.predict(valid.X) - y_valid))
    best = min(model.history_[:, "valid_loss"]) * model.target_scale_[0]
    assert mae == pytest.approx(best, rel=1e-5)


def test_validation_fraction_zero_trains_all_epochs(data):
    X, y = data
    model = IRNetRegressor(**{**FAST, "validation_fraction": 0.0}).fit(X, y)
    assert model.n_iter_ == 5 and model.best_epoch_ is None
    assert model.history_[-1]["batches"][0]["train_batch_size"] == 32


def test_divergence_stops_with_the_epoch_in_the_message():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(64, 3)), rng.normal(size=64)
    with pytest.raises(TrainingDivergedError, match=r"became (nan|inf) at epoch [12]\."):
        IRNetRegressor(
            hidden_layer_sizes="4",
            optimizer="sgd",
            lr=1e38,
            max_epochs=5,
            validation_fraction=0.0,
            random_state=0,
        ).fit(X, y)


def test_warm_start_continues_training(data):
    X, y = data
    model = IRNetRegressor(**FAST, warm_start=True).fit(X, y)
    weights = model.module_.output.weight.detach().clone()
    model.fit(X, y)
    assert model.n_iter_ == 10
    assert model.history_[-1]["epoch"] == 10
    assert not torch.equal(weights, model.module_.output.weight)
    cold = IRNetRegressor(**FAST).fit(X, y)
    losses, first_fit = model.history_[:, "train_loss"], cold.history_[:, "train_loss"]
    # epoch 6 continues from epoch 5's weights: a restart would begin near epoch 1's loss
    assert losses[5] < 0.5 * first_fit[0] and losses[5] < 1.2 * first_fit[4]
    cold.fit(X, y)
    assert cold.n_iter_ == 5
    assert cold.history_[0]["train_loss"] == pytest.approx(first_fit[0])  # cold: from scratch


def test_partial_fit_trains_one_epoch_per_call(data):
    X, y = data
    model = PlainNetRegressor(**FAST)
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    assert model.n_iter_ == 2 and "valid_loss" not in model.history_[-1]
    with pytest.raises(ValueError, match="X has 5 features"):
        model.partial_fit(X[:, :5], y)
    model.fit(X, y)  # a full fit after partial_fit starts afresh, with early stopping
    assert model.n_iter_ == 5 and "valid_loss" in model.history_[-1]


def test_lr_schedules_change_the_learning_rate(data):
    X, y = data
    for schedule in ("cosine", "onecycle"):
        model = IRNetRegressor(**FAST, lr_schedule=schedule, optimizer="adamw").fit(X, y)
        final_lr = model.net_.optimizer_.param_groups[0]["lr"]
        assert final_lr < 1e-2 * 0.5, schedule


@pytest.fixture
def native_bf16(monkeypatch):
    """Pretend the CPU has bfloat16 instructions (this suite may run on one without)."""
    monkeypatch.setattr(skirnet.device, "cpu_has_native_bf16", lambda: True)


def test_bf16_trains_on_cpu_as_well_as_fp32(data, native_bf16):
    X, y = data
    fp32 = IRNetRegressor(**FAST).fit(X, y)
    bf16 = IRNetRegressor(**FAST, precision="bf16").fit(X, y)
    pred = bf16.predict(X)
    assert pred.dtype == np.float64
    assert not np.array_equal(fp32.predict(X), pred)  # autocast took effect
    # as accurate (measured: MAE 0.44 fp32, 0.42 bf16; at most 1.2x over 20 seeds)
    assert np.abs(pred - y).mean() < 1.5 * np.abs(fp32.predict(X) - y).mean()


def test_bf16_inference_matches_fp32_up_to_rounding(data, native_bf16):
    X, y = data
    model = IRNetRegressor(**FAST).fit(X, y)
    fp32 = model.predict(X)
    model.net_.precision = "bf16"  # the same weights, forward pass under autocast
    bf16 = model.predict(X)
    difference = np.abs(fp32 - bf16)
    assert 0 < difference.max() < 0.1  # measured: 0.02-0.04 over 6 seeds; y's std is 2.4


def test_bf16_autocast_applies_only_with_bfloat16_hardware(monkeypatch):
    from skirnet.device import bf16_autocast_applies

    assert not bf16_autocast_applies("meta")
    for native in (True, False):
        monkeypatch.setattr(skirnet.device, "cpu_has_native_bf16", lambda n=native: n)
        assert bf16_autocast_applies("cpu") is native
    calls = []

    def is_bf16_supported(including_emulation=True):
        calls.append(including_emulation)
        return False

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert not bf16_autocast_applies("cuda:0") and calls == [False]  # emulation does not count


def test_bf16_falls_back_to_fp32_on_a_cpu_that_emulates_it(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(skirnet.device, "cpu_has_native_bf16", lambda: False)
    fp32 = IRNetRegressor(**FAST).fit(X, y).predict(X)
    for train in ("fit", "partial_fit"):
        model = IRNetRegressor(**FAST, precision="bf16")
        with pytest.warns(UserWarning, match="'bf16' is ignored on 'cpu': this CPU") as caught:
            getattr(model, train)(X, y)
        assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="ignored"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), fp32)  # really fp32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IRNetRegressor(**FAST).fit(X, y)  # fp32 never warns
        monkeypatch.setattr(skirnet.device, "cpu_has_native_bf16", lambda: True)
        IRNetRegressor(**FAST, precision="bf16").fit(X, y)


@pytest.mark.parametrize("native", [False, True])
def test_auto_precision_takes_bf16_only_where_it_is_native(data, monkeypatch, native):
    X, y = data
    monkeypatch.setattr(skirnet.device, "cpu_has_native_bf16", lambda: native)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "auto" never warns
        model = IRNetRegressor(**FAST, precision="auto").fit(X, y)
    assert model.net_.precision == ("bf16" if native else "fp32")
    assert model.get_params()["precision"] == "auto"


def test_verbose_prints_the_epoch_table(data, capsys):
    X, y = data
    IRNetRegressor(**FAST, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out
    IRNetRegressor(**FAST).fit(X, y)
    assert capsys.readouterr().out == ""


def test_progress_bar(data, capsys):
    X, y = data
    model = IRNetRegressor(**FAST, progress_bar=True).fit(X, y)
    assert "progress_bar" in dict(model.net_.callbacks_)
    assert "it/s" in capsys.readouterr().err


def test_invalid_parameters_are_reported_at_fit(data):
    X, y = data
    with pytest.raises(ValueError, match="'optimizer' parameter"):
        IRNetRegressor(optimizer="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="depth must be one of"):
        IRNetRegressor(depth=11, max_epochs=1).fit(X, y)


def test_cuda_requested_without_cuda(data):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        IRNetRegressor(**{**FAST, "device": "cuda"}).fit(*data)


def test_clone_and_params():
    model = SRNetRegressor(depth=24, lr=3e-4, random_state=7)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    copy.set_params(depth=48)
    assert copy.architecture == SRNetRegressor(depth=48).architecture


def test_pipeline_with_scaler(data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("net", IRNetRegressor(**FAST))])
    assert pipe.fit(X * 100, y).predict(X * 100).shape == (120,)


def test_grid_search_over_the_papers_depths(data):
    X, y = data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", IRNetRegressor(max_epochs=1, lr=1e-3, random_state=0)),
        ]
    )
    search = GridSearchCV(
        pipe, {"net__depth": [10, 17, 24, 48]}, cv=2, scoring="neg_mean_absolute_error"
    )
    search.fit(X[:64], y[:64])
    assert search.best_params_["net__depth"] in (10, 17, 24, 48)
    assert len(search.cv_results_["mean_test_score"]) == 4
    depths = [p["net__depth"] for p in search.cv_results_["params"]]
    assert depths == [10, 17, 24, 48]
    assert (
        search.best_estimator_.named_steps["net"].module_.n_skips
        == {10: 9, 17: 16, 24: 23, 48: 47}[search.best_params_["net__depth"]]
    )


def test_cross_val_score_against_random_forest(data):
    X, y = data
    folds = KFold(3, shuffle=True, random_state=0)
    net = IRNetRegressor(hidden_layer_sizes="32x2", lr=1e-2, max_epochs=60, random_state=0)
    ours = cross_val_score(net, X, y, cv=folds, scoring="neg_mean_absolute_error")
    forest = cross_val_score(
        RandomForestRegressor(n_estimators=50, random_state=0),
        X,
        y,
        cv=folds,
        scoring="neg_mean_absolute_error",
    )
    assert ours.shape == forest.shape == (3,)
    # a linear target: the network should beat the forest's piecewise-constant fit
    assert -ours.mean() < -forest.mean()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda_with_auto_device(data):
    X, y = data
    auto = {**FAST, "device": "auto"}
    model = IRNetRegressor(**auto).fit(X, y)
    assert model.device_ == "cuda"
    assert next(model.module_.parameters()).is_cuda
    cpu = IRNetRegressor(**FAST).fit(X, y)
    np.testing.assert_allclose(model.predict(X), cpu.predict(X), atol=0.5)
    bf16 = IRNetRegressor(**auto, precision="bf16").fit(X, y)
    assert np.isfinite(bf16.predict(X)).all()


def test_fixed_validation_data_is_used_for_early_stopping(data):
    X, y = data
    spy = ValidationSpy()
    model = IRNetRegressor(**FAST, callbacks=[spy])
    model.fit(X[:100], y[:100], validation_data=(X[100:], y[100:]))
    valid = spy.valid[0]
    assert len(valid) == 20
    np.testing.assert_array_equal(valid.X, X[100:].astype(np.float32))
    batches = model.history_[0]["batches"]
    assert sum(b.get("train_batch_size", 0) for b in batches) == 100
    assert sum(b.get("valid_batch_size", 0) for b in batches) == 20
    with pytest.raises(ValueError, match="X has 5 features"):
        IRNetRegressor(**FAST).fit(X, y, validation_data=(X[:, :5], y))


def test_continued_training_shuffles_each_epoch_anew(data):
    """partial_fit and warm-start fits must not replay the first call's batch order."""

    class FirstBatch(Callback):
        def __init__(self):
            self.seen, self.first = [], True

        def on_epoch_begin(self, net, **kwargs):
            self.first = True

        def on_batch_begin(self, net, batch=None, training=False, **kwargs):
            if training and self.first:
                self.seen.append(batch[0][:4].clone())
                self.first = False

    X, y = data
    spy = FirstBatch()
    model = IRNetRegressor(**{**FAST, "max_epochs": 1}, callbacks=[spy])
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    assert not torch.equal(spy.seen[0], spy.seen[1])
    # and the same seed still gives the same sequence of epochs
    again = IRNetRegressor(**{**FAST, "max_epochs": 1}, callbacks=[FirstBatch()])
    again.partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))

    spy = ValidationSpy()
    warm = IRNetRegressor(**{**FAST, "max_epochs": 1}, warm_start=True, callbacks=[spy])
    warm.fit(X, y).fit(X, y)
    np.testing.assert_array_equal(spy.valid[0].X, spy.valid[1].X)


def test_numpy_integer_parameters_are_accepted(data):
    X, y = data
    assert IRNetRegressor(depth=np.int64(10)).architecture == IRNetRegressor(depth=10).architecture
    search = GridSearchCV(
        IRNetRegressor(max_epochs=1, batch_size=64, device="cpu", random_state=0),
        {"depth": np.array([10])},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["depth"] == 10


def test_batch_size_one_is_rejected_up_front(data):
    X, y = data
    with pytest.raises(ValueError, match="batch_size"):
        IRNetRegressor(**FAST, batch_size=1).fit(X, y)


def test_warm_start_uses_the_current_parameters(data):
    X, y = data
    model = IRNetRegressor(**{**FAST, "max_epochs": 2}, warm_start=True).fit(X, y)
    model.set_params(max_epochs=1, lr=0.5, batch_size=16).fit(X, y)
    assert model.n_iter_ == 3
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.5
    assert model.history_[-1]["batches"][0]["train_batch_size"] == 16
    # 33 training rows and batch 16 leave a last batch of one: it is dropped, no crash
    model.set_params(validation_fraction=0.0).fit(X[:33], y[:33])
    assert [b["train_batch_size"] for b in model.history_[-1]["batches"]] == [16, 16]


def test_warm_start_refuses_a_different_architecture(data):
    X, y = data
    model = IRNetRegressor(**FAST, warm_start=True).fit(X, y)
    model.set_params(hidden_layer_sizes="8")
    with pytest.raises(ValueError, match=r"hidden stacks \(\(16, 2\), \(8, 1\)\)"):
        model.fit(X, y)
    assert model.architecture_ == ((16, 2), (8, 1))
    with pytest.raises(ValueError, match="hidden stacks"):
        model.partial_fit(X, y)
    model.set_params(hidden_layer_sizes="16x2-8", optimizer="sgd")
    with pytest.raises(ValueError, match="optimizer='sgd'"):
        model.fit(X, y)


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_every_warm_start_fit_runs_the_whole_schedule(schedule, data):
    X, y = data
    params = {**FAST, "max_epochs": 3, "lr_schedule": schedule, "warm_start": True}
    # cosine records the lr per epoch, one-cycle per batch
    key = (
        (slice(None), "event_lr")
        if schedule == "cosine"
        else (slice(None), "batches", slice(None), "event_lr")
    )
    model = IRNetRegressor(**params).fit(X, y)
    first = np.asarray(model.history_[key], dtype=float)
    model.fit(X, y).fit(X, y)
    assert model.n_iter_ == 9
    np.testing.assert_allclose(np.asarray(model.history_[key], dtype=float)[-3:], first)
    with pytest.raises(ValueError, match="partial_fit trains one epoch per call"):
        model.partial_fit(X, y)


def test_a_loaded_scheduled_model_can_warm_start(data, tmp_path):
    X, y = data
    params = {**FAST, "max_epochs": 2, "lr_schedule": "cosine", "warm_start": True}
    model = load(save(IRNetRegressor(**params).fit(X, y), tmp_path / "m"))
    model.fit(X, y)
    assert model.n_iter_ == 4
    assert model.history_[-2]["event_lr"] == pytest.approx(FAST["lr"])


def test_fitted_model_does_not_keep_its_validation_data(data):
    X, y = data
    model = IRNetRegressor(**FAST).fit(X, y)
    assert model.net_.train_split is None
    assert model.best_epoch_ is not None


def test_single_target_may_be_1d_or_a_column_in_later_calls(data):
    X, y = data
    for first, later in [(y, y[:, None]), (y[:, None], y)]:
        model = IRNetRegressor(**FAST).fit(X, first)
        model.partial_fit(X, later)
        assert model.predict(X).shape == first.shape


@pytest.mark.parametrize("name", ["paper", "large-batch"])
def test_from_recipe_shows_every_value_in_get_params(name):
    from skirnet.recipes import recipe_params

    model = SRNetRegressor.from_recipe(name, depth=24, lr=5e-4)
    assert type(model) is SRNetRegressor
    params = model.get_params()
    expected = {**recipe_params(name), "depth": 24, "lr": 5e-4}
    assert {key: params[key] for key in expected} == expected
    assert clone(model).get_params() == params
    with pytest.raises(ValueError, match="Unknown recipe 'fast'"):
        IRNetRegressor.from_recipe("fast")


@pytest.mark.parametrize("cls", [IRNetRegressor, SRNetRegressor, PlainNetRegressor])
def test_one_row_and_whole_batch_predictions_agree(cls, data):
    # what check_methods_subset_invariance's xfail could hide: batch norm left in training
    # mode at predict would make each row depend on the others in its batch
    X, y = data
    model = cls(**FAST).fit(X, y)
    whole = model.predict(X)
    one_by_one = np.array([model.predict(X[i : i + 1])[0] for i in range(len(X))])
    np.testing.assert_allclose(one_by_one, whole, rtol=0, atol=1e-5)
    assert np.ptp(whole) > 0.5  # a fitted, non-constant model
