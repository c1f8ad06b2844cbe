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
    "FEATURE_SETS",
    "featurize_to_folder",
    "featurizer_for",
]

#: The inputs a model can be trained on from each kind of data.
FEATURE_SETS = ("composition", "structure", "both")


def featurizer_for(inputs: str, features: str | None = None) -> BaseFeaturizer:
    """The featurizer for formulas or structures and the chosen feature set.

    Parameters
    ----------
    inputs : {"formula", "structure"}
        What the data holds.
    features : {"composition", "structure", "both"}, optional
        Which attributes: the 145 composition ones, the 128 structure ones or all 273.
        Default: ``"both"`` for structures, ``"composition"`` for formulas (the only
        choice there).

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
    >>> type(featurizer_for("formula")).__name__
    'CompositionFeaturizer'
    """
    if inputs not in ("formula", "structure"):
        raise ValueError(f"inputs must be 'formula' or 'structure', got {inputs!r}")
    if features is not None and features not in FEATURE_SETS:
        raise ValueError(f"features must be one of {', '.join(FEATURE_SETS)}; got {features!r}")
    if inputs == "formula":
        if features not in (None, "composition"):
            raise ValueError(
                f"{features} features need crystal structures; formulas give composition ones"
            )
        return CompositionFeaturizer()
    features = features or "both"
    return StructureFeaturizer(
        structure=features != "composition", composition=features != "structure"
    )
