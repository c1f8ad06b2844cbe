"""Models trained by skirnet's benchmarks, shipped inside the package: predict without training.

Each model is a fitted scikit-learn :class:`~sklearn.pipeline.Pipeline` (featurizer,
scaler, clip, network) stored without pickle (safetensors weights in float16, JSON), with a
card recording where it came from: data and split, recipe, architecture, test MAE on the
published test split, versions, the command that trained it and the SHA-256 of each file.
Loading checks every file against its card, so a damaged installation fails loudly.

Shipped models (OQMD, CrabNet's published split; test MAE on its test split):

* ``oqmd-formation-enthalpy`` — eV/atom, IRNet 512x4-256x4-128x4-64x3-32x1 on the 145
  Magpie attributes and the 86 element fractions, 0.036;
* ``oqmd-band-gap`` — eV, IRNet 320x4-160x4-80x4-40x3-20x1 on the Magpie attributes, 0.049.

Examples
--------
>>> from skirnet import pretrained
>>> "oqmd-formation-enthalpy" in pretrained.list_models()
True
>>> model = pretrained.load("oqmd-formation-enthalpy")
>>> model.predict(["NaCl", "Fe2O3"]).round(1)
array([-2.1, -1.7])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skirnet.pretrained._registry import (
    _HERE as _HERE,  # the installed models' folder (tests and benchmarks read it)
)
from skirnet.pretrained._registry import (
    CARDS_FILE,
    _verified_folder,
    list_models,
    model_card,
    resolve,
)

if TYPE_CHECKING:  # the command line's help lists the models without loading torch
    from sklearn.pipeline import Pipeline

__all__ = ["CARDS_FILE", "list_models", "load", "model_card", "resolve"]


def load(name: str) -> Pipeline:
    """A shipped model as a fitted pipeline that predicts from formulas.

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``featurize`` / ``scale`` / ``clip`` / ``net``; ``predict`` takes formulas (a list,
        a pandas Series or a one-column DataFrame) and returns the target in the card's
        unit.

    Raises
    ------
    KeyError
        No shipped model has this name.
    ModelFileError
        A file of the model differs from its card.

    Examples
    --------
    >>> from skirnet.pretrained import load
    >>> load("oqmd-formation-enthalpy").predict(["Al2O3"]).shape
    (1,)
    """
    from skirnet.pipeline import load_pipeline

    pipe, _ = load_pipeline(_verified_folder(name))
    return pipe
