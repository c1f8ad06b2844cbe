"""Deprecated: the command line's building blocks moved to three modules.

* :mod:`skirnet.pipeline`: ``FEATURE_CLIP``, ``TrainingSettings``, ``make_net``,
  ``train_pipeline``, ``save_pipeline``, ``load_pipeline``;
* :mod:`skirnet.comparison`: ``build_models``, ``run_comparison``, ``ComparisonResult``;
* ``parse_models`` and ``parse_depths`` are the command line's own (private) business;
* ``NET_CLASSES`` is :data:`skirnet.estimators.NETWORKS`; ``EpochProgress`` and
  ``TimeBudget`` live in :mod:`skirnet.callbacks`; ``featurize(formulas)`` is
  ``CompositionFeaturizer().fit_transform(formulas)``.

Every name still works from here, with a :class:`DeprecationWarning`, until the next
release removes this module.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_MOVED = {
    "FEATURE_CLIP": "skirnet.pipeline",
    "TrainingSettings": "skirnet.pipeline",
    "make_net": "skirnet.pipeline",
    "train_pipeline": "skirnet.pipeline",
    "save_pipeline": "skirnet.pipeline",
    "load_pipeline": "skirnet.pipeline",
    "build_models": "skirnet.comparison",
    "run_comparison": "skirnet.comparison",
    "ComparisonResult": "skirnet.comparison",
    "EpochProgress": "skirnet.callbacks",
    "TimeBudget": "skirnet.callbacks",
}


def _featurize(formulas: Any, *, progress: bool = True) -> Any:
    from skirnet.featurizers import CompositionFeaturizer

    return CompositionFeaturizer(progress_bar=None if progress else False).fit_transform(
        list(formulas)
    )


def __getattr__(name: str) -> Any:
    if name == "NET_CLASSES":
        value, new = importlib.import_module("skirnet.estimators").NETWORKS, "estimators.NETWORKS"
    elif name == "featurize":
        value, new = _featurize, "featurizers.CompositionFeaturizer().fit_transform"
    elif name in _MOVED:
        value, new = getattr(importlib.import_module(_MOVED[name]), name), f"{_MOVED[name]}.{name}"
    else:
        raise AttributeError(f"module 'skirnet.workflow' has no attribute {name!r}")
    warnings.warn(
        f"skirnet.workflow is deprecated: use {new.removeprefix('skirnet.')!s} from skirnet "
        "instead; skirnet.workflow will be removed in the next release.",
        DeprecationWarning,
        stacklevel=2,
    )
    return value
