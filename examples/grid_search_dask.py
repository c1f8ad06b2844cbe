"""Grid search over IRNet depth on a Dask cluster: each fold-and-depth fit is a Dask task.

scikit-learn's ``GridSearchCV`` hands its fits to joblib; inside
``joblib.parallel_backend("dask")`` joblib sends them to the Dask cluster of the current
``Client`` (skorch documents the same pattern). Nothing else changes: the estimator, the
grid and the results are those of a local search, and the fits run on as many workers as
the cluster has.

By default this starts a ``LocalCluster`` of 2 single-threaded worker processes on this
machine; set ``SKIRNET_DASK_SCHEDULER=tcp://host:8786`` to use a running cluster (every
worker needs skirnet installed). Like ``grid_search_depth.py``, it uses a small part of
the embedded OQMD sample and a few epochs per fit, so the ranking says which depth learns
fastest in a short budget.

Run ``python examples/grid_search_dask.py``; ``SKIRNET_EXAMPLE_FAST=1`` shrinks it.
"""

from __future__ import annotations

import os
import time

import joblib
import pandas as pd
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import IRNetRegressor
from skirnet.datasets import load_oqmd_sample
from skirnet.featurizers import CompositionFeaturizer

FAST = os.environ.get("SKIRNET_EXAMPLE_FAST") == "1"
N_TRAIN, EPOCHS = (150, 1) if FAST else (1200, 8)


def search(X, y) -> GridSearchCV:
    """The same grid search as grid_search_depth.py, with every fit a joblib task."""
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("net", IRNetRegressor(lr=1e-3, batch_size=128, max_epochs=EPOCHS, patience=3,
                               random_state=0)),
    ])  # fmt: skip
    return GridSearchCV(
        pipe,
        {"net__depth": [10, 17, 24, 48]},
        scoring="neg_mean_absolute_error",
        cv=KFold(2, shuffle=True, random_state=0),
        n_jobs=-1,
    )


def main() -> None:
    """Start (or join) a cluster, run the search on it and print the table."""
    formulas, y = load_oqmd_sample(split="train", return_X_y=True)
    X = CompositionFeaturizer().fit_transform(formulas[:N_TRAIN])
    y = y[:N_TRAIN]
    address = os.environ.get("SKIRNET_DASK_SCHEDULER")
    cluster = None if address else LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None
    )  # fmt: skip
    with Client(address or cluster) as client:
        workers = len(client.scheduler_info()["workers"])
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            result = search(X, y).fit(X, y)
        seconds = time.perf_counter() - start
    if cluster is not None:
        cluster.close()
    table = pd.DataFrame({
        "depth": result.cv_results_["param_net__depth"],
        "cv MAE (eV/atom)": -result.cv_results_["mean_test_score"],
        "fit s": result.cv_results_["mean_fit_time"],
    })  # fmt: skip
    print(
        f"GridSearchCV on Dask ({workers} workers), {len(y)} formulas, 2 folds, {EPOCHS} "
        f"epoch(s) per fit, {seconds:.0f} s in all:"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"Best depth: {result.best_params_['net__depth']}")


if __name__ == "__main__":
    main()
