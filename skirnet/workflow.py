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

from typing import Any

from skirnet._warnings import moved_names

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


__getattr__ = moved_names(
    "skirnet.workflow",
    {
        **{name: f"{owner}.{name}" for name, owner in _MOVED.items()},
        "NET_CLASSES": "skirnet.estimators.NETWORKS",
        "featurize": (
            "skirnet.workflow._featurize",
            "skirnet.featurizers.CompositionFeaturizer().fit_transform",
        ),
    },
)
