"""Resumable training: an interrupted fit resumed from its checkpoint ends where a straight one does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skorch.callbacks import Callback

from skirnet import IRNetRegressor, SRNetRegressor
from skirnet.callbacks import TrainingCheckpoint


class StopAfter(Callback):
    """Interrupt training after ``n`` epochs, as a killed or time-limited run would."""

    def __init__(self, n: int) -> None:
        self.n = n

    def on_epoch_end(self, net, **kwargs) -> None:
        if len(net.history) == self.n:
            raise KeyboardInterrupt


def _data(seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 6))
    y = X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=300)
    return X, y


def _params(schedule):
    return dict(
        hidden_layer_sizes="16x2-8",
        max_epochs=6,
        batch_size=32,
        lr=1e-2,
        optimizer="adamw",
        lr_schedule=schedule,
        patience=3,
        random_state=0,
    )


@pytest.mark.parametrize("schedule", ["onecycle", "cosine", None])
@pytest.mark.parametrize("stop_after", [1, 4])
def test_resumed_fit_equals_uninterrupted_fit(tmp_path, schedule, stop_after):
    X, y = _data()
    Xv, yv = _data(1)
    params = _params(schedule)
    straight = IRNetRegressor(**params).fit(X, y, validation_data=(Xv, yv))

    first = IRNetRegressor(
        **params, callbacks=[TrainingCheckpoint(tmp_path), StopAfter(stop_after)]
    )
    first.fit(X, y, validation_data=(Xv, yv))
    assert first.n_iter_ == stop_after
    saved = json.loads((tmp_path / "state.json").read_text())
    assert len(saved["history"]) == stop_after

    checkpoint = TrainingCheckpoint(tmp_path)
    resumed = IRNetRegressor(**params, callbacks=[checkpoint]).fit(X, y, validation_data=(Xv, yv))
    assert checkpoint.resumed_epochs_ == stop_after
    assert resumed.n_iter_ == straight.n_iter_ == 6
    assert resumed.best_epoch_ == straight.best_epoch_
    np.testing.assert_array_equal(resumed.predict(X), straight.predict(X))
    np.testing.assert_allclose(
        resumed.history_[:, "valid_loss"], straight.history_[:, "valid_loss"], rtol=0, atol=0
    )


def test_complete_checkpoint_trains_no_more(tmp_path):
    X, y = _data()
    params = _params("onecycle")
    done = IRNetRegressor(**params, callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)
    checkpoint = TrainingCheckpoint(tmp_path)
    again = IRNetRegressor(**params, callbacks=[checkpoint]).fit(X, y)
    assert checkpoint.resumed_epochs_ == 6
    assert again.n_iter_ == 6
    np.testing.assert_array_equal(again.predict(X), done.predict(X))


def test_checkpoint_of_another_run_is_refused(tmp_path):
    X, y = _data()
    IRNetRegressor(**_params(None), callbacks=[TrainingCheckpoint(tmp_path), StopAfter(1)]).fit(
        X, y
    )
    longer = {**_params(None), "max_epochs": 9}
    with pytest.raises(ValueError, match="belongs to another run"):
        IRNetRegressor(**longer, callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)
    wider = {**_params(None), "hidden_layer_sizes": "32x2-8"}
    with pytest.raises(ValueError, match="another network's weights"):
        SRNetRegressor(**wider, callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    X, y = _data()
    IRNetRegressor(**_params(None), callbacks=[TrainingCheckpoint(tmp_path), StopAfter(2)]).fit(
        X, y
    )
    before = (tmp_path / "state.json").read_text()

    import safetensors.torch

    def failing_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", failing_save)
    with pytest.raises(OSError, match="disk full"):
        IRNetRegressor(**_params(None), callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)
    assert (tmp_path / "state.json").read_text() == before


@pytest.mark.parametrize("validation", [True, False])
def test_resumed_fit_keeps_the_weight_average_and_loss(tmp_path, validation):
    X, y = _data()
    fit_kwargs = {"validation_data": _data(1)} if validation else {}
    params = {**_params("onecycle"), "ema_decay": 0.9, "loss": "huber", "huber_delta": 0.2}
    straight = IRNetRegressor(**params).fit(X, y, **fit_kwargs)
    IRNetRegressor(**params, callbacks=[TrainingCheckpoint(tmp_path), StopAfter(3)]).fit(
        X, y, **fit_kwargs
    )
    checkpoint = TrainingCheckpoint(tmp_path)
    resumed = IRNetRegressor(**params, callbacks=[checkpoint]).fit(X, y, **fit_kwargs)
    assert checkpoint.resumed_epochs_ == 3
    np.testing.assert_array_equal(resumed.predict(X), straight.predict(X))
