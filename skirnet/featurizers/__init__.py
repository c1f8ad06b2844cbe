"""Featurizers turning materials data into fixed-length numeric features (no torch).

Every featurizer derives from :class:`BaseFeaturizer` (shared parameters ``column``,
``errors``, ``n_jobs``, ``progress_bar``; ``feature_labels()`` and ``citations()``) and
reports rows it could not featurize with one :class:`FeaturizationWarning`.
:func:`featurize_to_folder` featurizes large inputs in chunks written as they finish, so
that a rerun continues where an interrupted run stopped.
"""

from skirnet.featurizers._base import BaseFeaturizer, FeaturizationWarning
from skirnet.featurizers._folder import featurize_to_folder
from skirnet.featurizers.composition import CompositionFeaturizer
from skirnet.featurizers.structure import StructureFeaturizer

__all__ = [
    "BaseFeaturizer",
    "CompositionFeaturizer",
    "FeaturizationWarning",
    "StructureFeaturizer",
    "featurize_to_folder",
]
