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

#: The inputs a model can be trained on: from formulas the first three, from structures
#: ``composition``, ``structure`` and ``both``.
FEATURE_SETS = ("composition", "composition+fractions", "fractions", "structure", "both")
#: The formula feature sets and the :class:`CompositionFeaturizer` preset of each.
_FORMULA_PRESETS = {
    "composition": "irnet",
    "composition+fractions": "irnet+fractions",
    "fractions": "fractions",
}


def featurizer_for(inputs: str, features: str | None = None) -> BaseFeaturizer:
    """The featurizer for formulas or structures and the chosen feature set.

    Parameters
    ----------
    inputs : {"formula", "structure"}
        What the data holds.
    features : {"composition", "composition+fractions", "fractions", "structure", \
"both"}, optional
        Which attributes. From formulas: the 145 composition (Magpie) attributes, those
        and the 86 element fractions of ElemNet (231), or the fractions alone. From
        structures: the 145 composition ones, the 128 structure ones or all 273.
        Default: ``"composition"`` for formulas, ``"both"`` for structures.

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
    if inputs not in ("formula", "structure"):
        raise ValueError(f"inputs must be 'formula' or 'structure', got {inputs!r}")
    if features is not None and features not in FEATURE_SETS:
        raise ValueError(f"features must be one of {', '.join(FEATURE_SETS)}; got {features!r}")
    if inputs == "formula":
        if features in ("structure", "both"):
            raise ValueError(
                f"{features} features need crystal structures; formulas give composition ones"
            )
        return CompositionFeaturizer(_FORMULA_PRESETS[features or "composition"])
    if features in ("composition+fractions", "fractions"):
        raise ValueError(
            f"{features} features are for formulas; structures give composition, structure or both"
        )
    features = features or "both"
    return StructureFeaturizer(
        structure=features != "composition", composition=features != "structure"
    )
