"""The exponential moving average of the weights (``ema_decay``) and the Huber loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback

from skirnet import IRNetRegressor


class RecordWeights(Callback):
    """Keep a copy of the module's state after every training batch."""

    def on_train_begin(self, net, **kwargs) -> None:
        self.states = [{k: v.clone() for k, v in net.module_.state_dict().items()}]

    def on_batch_end(self, net, training=False, **kwargs) -> None:
        if training:
            self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def _data(seed: int = 0, n: int = 200):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    return X, X[:, 0] * 2 - X[:, 2] + 0.05 * rng.normal(size=n)


PARAMS = dict(hidden_layer_sizes="16x2", batch_size=50, lr=1e-2, max_epochs=4, random_state=0)


def test_without_validation_the_model_is_the_average_of_the_batch_weights():
    X, y = _data()
    decay = 0.8
    record = RecordWeights()
    model = IRNetRegressor(
        **PARAMS, validation_fraction=0, ema_decay=decay, callbacks=[record]
    ).fit(X, y)
    assert len(record.states) == 1 + 4 * 4  # initial state, then 4 batches x 4 epochs
    expected = dict(record.states[0])
    for t, state in enumerate(record.states[1:]):
        d = min(decay, (1 + t) / (10 + t))
        expected = {
            k: d * expected[k] + (1 - d) * v if v.is_floating_point() else v
            for k, v in state.items()
        }
    final = model.module_.state_dict()
    for key, value in expected.items():
        torch.testing.assert_close(final[key], value, rtol=1e-5, atol=1e-6)
    raw = record.states[-1]
    assert any(not torch.allclose(final[k], raw[k]) for k in final if final[k].is_floating_point())


def test_validation_and_the_kept_weights_use_the_average():
    X, y = _data()
    Xv, yv = _data(1, 100)
    model = IRNetRegressor(**PARAMS, ema_decay=0.7, patience=4).fit(X, y, validation_data=(Xv, yv))
    # the losses are in the standardised target's units
    losses = np.asarray(model.history_[:, "valid_loss"]) * model.target_scale_[0]
    best = int(np.argmin(losses))
    assert model.best_epoch_ == best + 1
    # the validation loss of the best epoch is the MAE of the weights the model kept
    assert np.mean(np.abs(model.predict(Xv) - yv)) == pytest.approx(losses[best], rel=1e-5)
    plain = IRNetRegressor(**PARAMS, patience=4).fit(X, y, validation_data=(Xv, yv))
    assert not np.allclose(
        np.asarray(plain.history_[:, "valid_loss"]) * plain.target_scale_[0], losses
    )


def test_huber_loss_is_trained_and_monitored():
    X, y = _data()
    Xv, yv = _data(1, 100)
    model = IRNetRegressor(**PARAMS, loss="huber", huber_delta=0.3, patience=4).fit(
        X, y, validation_data=(Xv, yv)
    )
    criterion = model.net_.criterion_
    assert isinstance(criterion, torch.nn.HuberLoss) and criterion.delta == 0.3
    # the Huber loss (and its delta) works on the standardised target
    error = np.abs(model.predict(Xv) - yv) / model.target_scale_[0]
    huber = np.where(error < 0.3, 0.5 * error**2, 0.3 * (error - 0.5 * 0.3)).mean()
    assert huber == pytest.approx(min(model.history_[:, "valid_loss"]), rel=1e-5)
    l1 = IRNetRegressor(**PARAMS).fit(X, y)
    assert isinstance(l1.net_.criterion_, torch.nn.L1Loss)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"ema_decay": 1.0}, "'ema_decay' parameter"),
        ({"ema_decay": 0}, "'ema_decay' parameter"),
        ({"loss": "squared"}, "'loss' parameter"),
        ({"huber_delta": 0.0}, "'huber_delta' parameter"),
    ],
)
def test_bad_averaging_and_loss_parameters_are_refused(params, message):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=message):
        IRNetRegressor(**PARAMS, **params).fit(X, y)


def test_warm_start_switches_the_loss_and_keeps_the_optimiser_state():
    X, y = _data()
    model = IRNetRegressor(**PARAMS, optimizer="adam", warm_start=True).fit(X, y)
    steps = [s["step"].item() for s in model.net_.optimizer_.state_dict()["state"].values()]
    model.set_params(loss="huber", huber_delta=0.5, max_epochs=1).fit(X, y)
    after = [s["step"].item() for s in model.net_.optimizer_.state_dict()["state"].values()]
    assert isinstance(model.net_.criterion_, torch.nn.HuberLoss)
    assert model.net_.criterion_.delta == 0.5
    assert after == [s + 4 for s in steps]  # one more epoch of 4 batches (180 rows / 50)


def test_moved_callbacks_still_import_from_training_with_a_warning():
    import skirnet.training
    from skirnet.callbacks import EpochProgress, TimeBudget

    with pytest.warns(DeprecationWarning, match="moved to skirnet.callbacks.TimeBudget"):
        assert skirnet.training.TimeBudget is TimeBudget
    with pytest.warns(DeprecationWarning, match="skirnet.callbacks.EpochProgress"):
        assert skirnet.training.EpochProgress is EpochProgress
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        skirnet.training.Nope  # noqa: B018
