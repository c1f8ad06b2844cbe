"""skirnet: deep residual regressors for materials informatics, the scikit-learn way.

Featurizers turn formulas and crystal structures into the paper's descriptors; the
estimators are IRNet, SRNet and plain deep networks of Jha et al. (Sci. Rep. 11:4244,
2021) with scikit-learn's interface; ``save``/``load`` keep fitted networks without pickle.
Datasets, baselines and plots live in :mod:`skirnet.datasets`, :mod:`skirnet.baselines`
and :mod:`skirnet.plotting`; :class:`ConformalRegressor` gives prediction intervals.

The public names are imported on first use, so ``import skirnet.featurizers`` does not
load torch and ``import skirnet.estimators`` does not load pymatgen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from skirnet._version import __version__

if TYPE_CHECKING:
    from skirnet.ensemble import DeepEnsembleRegressor
    from skirnet.estimators import (
        IRNetRegressor,
        PlainNetRegressor,
        ResidualNetRegressor,
        SRNetRegressor,
    )
    from skirnet.featurizers import CompositionFeaturizer, StructureFeaturizer
    from skirnet.intervals import ConformalRegressor
    from skirnet.persistence import ModelFileError, load, save

_SOURCES = {
    "CompositionFeaturizer": "skirnet.featurizers",
    "ConformalRegressor": "skirnet.intervals",
    "DeepEnsembleRegressor": "skirnet.ensemble",
    "ModelFileError": "skirnet.persistence",
    "StructureFeaturizer": "skirnet.featurizers",
    "IRNetRegressor": "skirnet.estimators",
    "PlainNetRegressor": "skirnet.estimators",
    "ResidualNetRegressor": "skirnet.estimators",
    "SRNetRegressor": "skirnet.estimators",
    "load": "skirnet.persistence",
    "save": "skirnet.persistence",
}

__all__ = [
    "CompositionFeaturizer",
    "ConformalRegressor",
    "DeepEnsembleRegressor",
    "IRNetRegressor",
    "ModelFileError",
    "PlainNetRegressor",
    "ResidualNetRegressor",
    "SRNetRegressor",
    "StructureFeaturizer",
    "__version__",
    "load",
    "save",
]


def __getattr__(name: str) -> Any:
    if name in _SOURCES:
        value = getattr(importlib.import_module(_SOURCES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skirnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
