"""Composition features of the OQMD splits, computed once and cached on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _common import use_shared_data

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
    if path.is_file():
        cached = np.load(path)
        return cached["X"], cached["y"]
    use_shared_data()
    from skirnet.datasets import load_composition_dataset
    from skirnet.featurizers import CompositionFeaturizer

    formulas, y = load_composition_dataset(dataset, split=split, return_X_y=True)
    X = CompositionFeaturizer(preset, errors="nan", n_jobs=-1).fit_transform(list(formulas))
    CACHE.mkdir(exist_ok=True)
    np.savez(path, X=X, y=np.asarray(y, dtype=np.float64))
    return X, np.asarray(y, dtype=np.float64)


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
