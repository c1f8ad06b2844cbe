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

from skirnet._shipped_models import (
    CARDS_FILE,
    MODELS_DIR,
    list_models,
    model_card,
    resolve,
    verified_folder,
)

if TYPE_CHECKING:  # the command line's help lists the models without loading torch
    from sklearn.pipeline import Pipeline

    from skirnet.intervals import ConformalRegressor

__all__ = [
    "CARDS_FILE",
    "MODELS_DIR",
    "list_models",
    "load",
    "load_conformal",
    "model_card",
    "resolve",
]


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

    pipe, _ = load_pipeline(verified_folder(name))
    return pipe


def load_conformal(name: str) -> ConformalRegressor:
    """A shipped model with its stored calibration: prediction intervals from formulas.

    The calibration is split conformal on rows of the model's published validation split,
    which it did not train on (the card's ``intervals`` entry and ``conformal.json`` in the
    model's folder record which rows, how many and the command); the intervals have the
    same width for every formula, and cover the target at the level asked for rows drawn
    like OQMD's, not for other data (see *Prediction intervals* in the user guide).

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.

    Returns
    -------
    ConformalRegressor
        Calibrated, ``method="split"``, wrapping :func:`load`'s pipeline:
        ``predict_interval(formulas, confidence=0.9)`` gives predictions and bounds.

    Raises
    ------
    KeyError
        No shipped model has this name.
    ModelFileError
        A file of the model differs from its card, or it has no calibration.

    Examples
    --------
    >>> from skirnet.pretrained import load_conformal
    >>> conformal = load_conformal("oqmd-formation-enthalpy")
    >>> conformal.method, len(conformal.conformity_scores_)
    ('split', 3000)
    """
    from skirnet._network_file import ModelFileError
    from skirnet.intervals import load_calibration

    folder = verified_folder(name)
    conformal = load_calibration(folder, load(name))
    if conformal is None:
        raise ModelFileError(f"{folder}: the shipped model has no calibration (reinstall skirnet)")
    return conformal
