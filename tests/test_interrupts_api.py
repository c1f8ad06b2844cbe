"""Ctrl-C during fit: the fit ends, keeps the best weights and says it was interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from skorch.callbacks import Callback

from skirnet import IRNetRegressor
from skirnet.callbacks import TimeBudget, TrainingCheckpoint

REPO_ROOT = Path(__file__).resolve().parents[1]

# Pauses in the second batch of epoch 3 until the parent process sends SIGINT.
CHILD = r"""
import json, sys, time, warnings
import numpy as np
from skorch.callbacks import Callback
from skirnet import IRNetRegressor

class PauseInEpoch3(Callback):
    def on_epoch_begin(self, net, **kwargs):
        self.batches = 0

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and len(net.history) == 3:
            self.batches += 1
            if self.batches == 2:
                print("ready", flush=True)
                time.sleep(120)

rng = np.random.RandomState(0)
X, Xv = rng.normal(size=(256, 4)), rng.normal(size=(64, 4))
model = IRNetRegressor(hidden_layer_sizes="8", lr=1e-2, max_epochs=50, patience=50,
                       random_state=0, device="cpu", callbacks=[PauseInEpoch3()])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model.fit(X, X[:, 0], validation_data=(Xv, Xv[:, 0]))
print(json.dumps({
    "interrupted": model.interrupted_,
    "n_iter": model.n_iter_,
    "epochs": [row["epoch"] for row in model.history_],
    "best_valid": min(model.history_[:, "valid_loss"]) * model.target_scale_[0],
    "mae": float(np.mean(np.abs(model.predict(Xv) - Xv[:, 0]))),
    "warnings": [str(w.message) for w in caught],
}), flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process")
def test_a_real_ctrl_c_marks_the_fit_and_drops_the_unfinished_epoch():
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["interrupted"] is True
    assert result["n_iter"] == 2 and result["epochs"] == [1, 2]  # no stub row for epoch 3
    # the best epoch's weights are restored, as after early stopping
    assert result["mae"] == pytest.approx(result["best_valid"], rel=1e-5)
    assert any("interrupted at epoch 3" in message for message in result["warnings"])


class RaiseSigint(Callback):
    """Send this process a real SIGINT in the middle of epoch ``epoch``."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history) == self.epoch and len(net.history[-1]["batches"]) == 1:
            signal.raise_signal(signal.SIGINT)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    return X, X[:, 0] - X[:, 1]


PARAMS = {"hidden_layer_sizes": "8", "lr": 1e-2, "random_state": 0, "device": "cpu"}


def test_sigint_in_process_is_recorded_and_the_handler_restored(data):
    X, y = data
    before = signal.getsignal(signal.SIGINT)
    model = IRNetRegressor(**PARAMS, max_epochs=5, validation_fraction=0.0)
    model.set_params(callbacks=[RaiseSigint(epoch=2)])
    with pytest.warns(UserWarning, match=r"interrupted at epoch 2 \(KeyboardInterrupt\)") as w:
        model.fit(X, y)
    assert w[0].filename == __file__
    assert model.interrupted_ is True and model.n_iter_ == 1
    assert signal.getsignal(signal.SIGINT) is before
    model.set_params(callbacks=None).fit(X, y)
    assert model.interrupted_ is False and model.n_iter_ == 5


def test_deliberate_stops_are_not_interruptions(data, tmp_path):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        early = IRNetRegressor(**PARAMS, max_epochs=300, patience=2).fit(X, y)
        assert early.n_iter_ < 300 and early.interrupted_ is False
        budget = TimeBudget(seconds=1e-9)
        timed = IRNetRegressor(**PARAMS, max_epochs=50, callbacks=[budget]).fit(X, y)
        assert budget.exhausted_ and timed.n_iter_ == 1 and timed.interrupted_ is False
        params = {**PARAMS, "max_epochs": 3}
        IRNetRegressor(**params, callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)
        resumed = IRNetRegressor(**params, callbacks=[TrainingCheckpoint(tmp_path)]).fit(X, y)
        assert resumed.n_iter_ == 3 and resumed.interrupted_ is False
        assert IRNetRegressor(**params).partial_fit(X, y).interrupted_ is False
