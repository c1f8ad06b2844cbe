"""Featurizers turning materials data into fixed-length numeric features (no torch).

Every featurizer derives from :class:`BaseFeaturizer` (shared parameters ``column``,
``errors``, ``n_jobs``, ``progress_bar``; ``feature_labels()`` and ``citations()``) and
reports rows it could not featurize with one :class:`FeaturizationWarning`.
:func:`featurize_to_folder` featurizes large inputs in chunks written as they finish, so
that a rerun continues where an interrupted run stopped.
"""

from skirnet.feature_sets import FEATURE_SETS, check_feature_set
from skirnet.featurizers._base import BaseFeaturizer, FeaturizationWarning
from skirnet.featurizers._folder import featurize_to_folder
from skirnet.featurizers.composition import CompositionFeaturizer
from skirnet.featurizers.structure import StructureFeaturizer

__all__ = [
    "BaseFeaturizer",
    "CompositionFeaturizer",
    "FeaturizationWarning",
    "StructureFeaturizer",
    "FEATURE_SETS",
    "featurize_to_folder",
    "featurizer_for",
]


def featurizer_for(inputs: str, features: str | None = None) -> BaseFeaturizer:
    """The featurizer for formulas or structures and the chosen feature set.

    Parameters
    ----------
    inputs : {"formula", "structure"}
        What the data holds.
    features : str, optional
        A name of :data:`skirnet.feature_sets.FEATURE_SETS`. From formulas: the 145
        composition (Magpie) attributes, those and the 86 element fractions of ElemNet
        (231), or the fractions alone. From structures: the 145 composition ones, the 128
        structure ones or all 273. Default: ``"composition"`` for formulas, ``"both"`` for
        structures.

    Returns
    -------
    BaseFeaturizer
        A :class:`CompositionFeaturizer` or a :class:`StructureFeaturizer`.

    Raises
    ------
    ValueError
        Structure attributes asked of formulas, or an unknown name.

    Examples
    --------
    >>> featurizer_for("structure").get_params()["composition"]
    True
    >>> featurizer_for("formula", "composition+fractions").preset
    'irnet+fractions'
    """
    chosen = check_feature_set(inputs, features)
    if inputs == "formula":
        return CompositionFeaturizer(chosen.preset)
    structure, composition = chosen.structure_parts
    return StructureFeaturizer(structure=structure, composition=composition)
