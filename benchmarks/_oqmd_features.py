"""Composition features of the OQMD splits, computed once and cached on disk, and prepared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import read_cached_arrays, use_shared_data, write_arrays

CACHE = Path(__file__).resolve().parent / "cache"


def oqmd_split(
    split: str, dataset: str = "oqmd_formation_enthalpy", preset: str = "irnet"
) -> tuple[np.ndarray, np.ndarray]:
    """Features and targets of one split, from the cache or freshly computed.

    ``preset`` is a :class:`~skirnet.featurizers.CompositionFeaturizer` preset: the
    default ``"irnet"`` gives the 145 Magpie attributes, ``"fractions"`` ElemNet's 86
    element fractions, ``"irnet+fractions"`` both.
    """
    suffix = "" if preset == "irnet" else f"_{preset.replace('+', '-')}"
    path = CACHE / f"{dataset}_{split}{suffix}.npz"
    cached = read_cached_arrays(path, ["X", "y"])
    if cached is not None:
        return cached["X"], cached["y"]
    use_shared_data()
    from skirnet.datasets import load_composition_dataset
    from skirnet.featurizers import CompositionFeaturizer

    formulas, y = load_composition_dataset(dataset, split=split, return_X_y=True)
    X = CompositionFeaturizer(preset, errors="nan", n_jobs=-1).fit_transform(list(formulas))
    write_arrays(path, X=X, y=np.asarray(y, dtype=np.float64))
    return X, np.asarray(y, dtype=np.float64)


def _subsample(X: np.ndarray, y: np.ndarray, n: int | None, seed: int):
    if n is None or n >= len(X):
        return X, y
    idx = np.random.default_rng(seed).choice(len(X), size=n, replace=False)
    return X[idx], y[idx]


def load_data(settings: dict, seed: int, features: str = "irnet"):
    """Train/val/test arrays, imputed and standardised with training statistics.

    ``settings`` gives the rows drawn (with ``seed``) from each split (``train_rows``,
    ``val_rows``, ``test_rows``; None: every row); NaN features are imputed with the
    training medians, then standardised and clipped to ±``FEATURE_CLIP`` as ``skirnet
    compare`` does. ``reproduce_paper.py`` and ``full_scale_ensemble.py`` read their data so.
    """
    from skirnet.pipeline import FEATURE_CLIP

    X_tr, y_tr = _subsample(*oqmd_split("train", preset=features), settings["train_rows"], seed)
    X_va, y_va = _subsample(*oqmd_split("val", preset=features), settings["val_rows"], seed)
    X_te, y_te = _subsample(*oqmd_split("test", preset=features), settings["test_rows"], seed)
    median = np.nanmedian(X_tr, axis=0)
    median = np.where(np.isnan(median), 0.0, median)

    def prepare(X):
        return np.where(np.isnan(X), median, X)

    X_tr, X_va, X_te = prepare(X_tr), prepare(X_va), prepare(X_te)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    std[std == 0] = 1.0
    scale = [np.clip((X - mean) / std, -FEATURE_CLIP, FEATURE_CLIP) for X in (X_tr, X_va, X_te)]
    return (scale[0], y_tr), (scale[1], y_va), (scale[2], y_te)


def formula_pipeline(preset: str, scaler, net):
    """A fitted formula pipeline as the package saves one: featurize, scale, clip, network.

    ``scaler`` and ``net`` are fitted on the cached features of ``preset``; the
    featurizer only needs the layout of a formula input.
    """
    from sklearn.pipeline import Pipeline

    from skirnet.featurizers import CompositionFeaturizer
    from skirnet.pipeline import feature_clipper

    featurizer = CompositionFeaturizer(preset, progress_bar=False).fit(["H"])
    return Pipeline(
        [("featurize", featurizer), ("scale", scaler), ("clip", feature_clipper()), ("net", net)]
    )
