"""The feature sets a model can be trained on: one registry, read by everything else.

Each :class:`FeatureSet` says which inputs it accepts (formulas, crystal structures), how
many attributes it gives and how to build its featurizer.
:func:`~skirnet.featurizers.featurizer_for`, the command line's ``--features`` (its choices
and input checks), fine-tuning (which feature set a saved model reads) and the defaults by
table size all read :data:`FEATURE_SETS`; adding a feature set is one entry here (plus its
tests).

The module imports nothing heavy, so the command line can list the choices without
loading pymatgen or torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_FEATURES",
    "FEATURE_SETS",
    "FeatureSet",
    "check_feature_set",
    "feature_set_of_preset",
]


@dataclass(frozen=True)
class FeatureSet:
    """One named set of input attributes.

    Parameters
    ----------
    name : str
        The name users type (``--features``, ``featurizer_for``).
    description : str
        One phrase for help texts.
    n_features : dict of str to int
        Number of attributes from each input it accepts (``"formula"``, ``"structure"``).
    preset : str or None
        The :class:`~skirnet.featurizers.CompositionFeaturizer` preset that computes it
        from formulas (None when formulas cannot give it).
    structure_parts : tuple of bool or None
        ``(structure, composition)`` switches of the
        :class:`~skirnet.featurizers.StructureFeaturizer` that computes it from crystal
        structures (None when structures cannot give it).
    """

    name: str
    description: str
    n_features: dict[str, int] = field(default_factory=dict)
    preset: str | None = None
    structure_parts: tuple[bool, bool] | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """The inputs (``"formula"``, ``"structure"``) this set can be computed from."""
        return tuple(self.n_features)


#: Every feature set, by name, in the order help texts list them.
FEATURE_SETS: dict[str, FeatureSet] = {
    s.name: s
    for s in (
        FeatureSet(
            "composition",
            "the 145 composition (Magpie) attributes of Jha et al.",
            {"formula": 145, "structure": 145},
            preset="irnet",
            structure_parts=(False, True),
        ),
        FeatureSet(
            "composition+fractions",
            "the 145 composition attributes and ElemNet's 86 element fractions",
            {"formula": 231},
            preset="irnet+fractions",
        ),
        FeatureSet(
            "fractions",
            "ElemNet's 86 element fractions",
            {"formula": 86},
            preset="fractions",
        ),
        FeatureSet(
            "structure",
            "the 128 Voronoi structure attributes of Ward et al. 2017",
            {"structure": 128},
            structure_parts=(True, False),
        ),
        FeatureSet(
            "both",
            "the 145 composition and the 128 structure attributes",
            {"structure": 273},
            structure_parts=(True, True),
        ),
    )
}

#: The feature set of each input when none is chosen (formula tables of many rows get
#: another default, :func:`skirnet.recipes.formula_features_for_rows`).
DEFAULT_FEATURES = {"formula": "composition", "structure": "both"}


def check_feature_set(inputs: str, name: str | None) -> FeatureSet:
    """The feature set ``name`` for ``inputs``, or a ValueError saying what to choose.

    Parameters
    ----------
    inputs : {"formula", "structure"}
        What the data holds.
    name : str or None
        A key of :data:`FEATURE_SETS`; None for the input's default.

    Returns
    -------
    FeatureSet

    Raises
    ------
    ValueError
        An unknown name, or a feature set the input cannot give.

    Examples
    --------
    >>> check_feature_set("formula", None).preset
    'irnet'
    >>> check_feature_set("formula", "both")
    Traceback (most recent call last):
    ...
    ValueError: both features need crystal structures; formulas give composition ones
    """
    if inputs not in DEFAULT_FEATURES:
        raise ValueError(f"inputs must be 'formula' or 'structure', got {inputs!r}")
    if name is None:
        name = DEFAULT_FEATURES[inputs]
    if name not in FEATURE_SETS:
        raise ValueError(f"features must be one of {', '.join(FEATURE_SETS)}; got {name!r}")
    chosen = FEATURE_SETS[name]
    if inputs not in chosen.inputs:
        if inputs == "formula":
            raise ValueError(
                f"{name} features need crystal structures; formulas give composition ones"
            )
        possible = [s.name for s in FEATURE_SETS.values() if inputs in s.inputs]
        raise ValueError(
            f"{name} features are for formulas; structures give "
            f"{', '.join(possible[:-1])} or {possible[-1]}"
        )
    return chosen


def feature_set_of_preset(preset: str) -> str | None:
    """The feature set a :class:`~skirnet.featurizers.CompositionFeaturizer` preset gives.

    Parameters
    ----------
    preset : str
        ``"irnet"``, ``"irnet+fractions"`` or ``"fractions"``.

    Returns
    -------
    str or None
        The feature set's name; None for a preset no feature set uses.

    Examples
    --------
    >>> feature_set_of_preset("irnet+fractions")
    'composition+fractions'
    """
    return next((s.name for s in FEATURE_SETS.values() if s.preset == preset), None)
