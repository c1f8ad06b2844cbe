"""Fit a scikit-learn Pipeline (formulas -> Magpie features -> scaling -> IRNet-17).

The pipeline goes straight from chemical formulas to formation enthalpies: it is trained on
part of the published train split of the embedded 22,000-row OQMD sample and scored on its
test split. The settings (Adam lr=1e-3, batch 256, at most 15 epochs with early stopping)
are chosen to finish in about a minute on a laptop CPU; they are not the paper's
(lr=1e-4, batch 32, many more epochs), so expect a higher MAE than a long run would give.
The sample keeps OQMD's few extreme targets (down to -95 eV/atom); they count in the MAE.

Run ``python examples/pipeline_fit.py``; ``SKIRNET_EXAMPLE_FAST=1`` shrinks it to a few
seconds (tiny network, few rows) for the test suite.
"""

from __future__ import annotations

import os
import time

import numpy as np
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor
from skirnet.datasets import load_oqmd_sample
from skirnet.featurizers import CompositionFeaturizer

FAST = os.environ.get("SKIRNET_EXAMPLE_FAST") == "1"
N_TRAIN, N_TEST, EPOCHS = (300, 200, 2) if FAST else (3000, 2000, 15)


def main() -> None:
    """Fit the pipeline and print its test MAE next to a predict-the-median baseline."""
    X_train, y_train = load_oqmd_sample(split="train", return_X_y=True)
    X_test, y_test = load_oqmd_sample(split="test", return_X_y=True)
    X_train, y_train = X_train[:N_TRAIN], y_train[:N_TRAIN]
    X_test, y_test = X_test[:N_TEST], y_test[:N_TEST]

    net = IRNetRegressor(
        depth=17,
        hidden_layer_sizes="64x2-32" if FAST else None,
        lr=1e-3,
        batch_size=256,
        max_epochs=EPOCHS,
        patience=5,
        random_state=0,
    )
    model = make_pipeline(CompositionFeaturizer(), StandardScaler(), net)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start

    fitted = model[-1]
    mae = mean_absolute_error(y_test, model.predict(X_test))
    median_mae = mean_absolute_error(y_test, np.full(len(y_test), np.median(y_train)))
    depth = sum(n for _, n in fitted.architecture_) + 1
    print(
        f"IRNet (depth {depth}) trained on {len(y_train)} formulas in {seconds:.1f} s "
        f"({fitted.n_iter_} epochs on {fitted.device_}, best epoch {fitted.best_epoch_})"
    )
    print(
        f"Test MAE on {len(y_test)} formulas: {mae:.3f} eV/atom "
        f"(predicting the training median: {median_mae:.3f} eV/atom)"
    )
    print(
        "Predictions:",
        {
            f: round(float(p), 3)
            for f, p in zip(
                ["NaCl", "Fe2O3", "GaAs"], model.predict(["NaCl", "Fe2O3", "GaAs"]), strict=True
            )
        },
    )


if __name__ == "__main__":
    main()
