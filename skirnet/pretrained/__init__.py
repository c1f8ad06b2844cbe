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

Each model ships with a split-conformal calibration on 3,000 rows of its dataset's published
validation split (``conformal.json``, listed in the card): :func:`load_conformal` gives the
model as a :class:`~skirnet.ConformalRegressor`, for intervals at any confidence level.

Examples
--------
>>> from skirnet import pretrained
>>> "oqmd-formation-enthalpy" in pretrained.list_models()
True
>>> model = pretrained.load("oqmd-formation-enthalpy")
>>> model.predict(["NaCl", "Fe2O3"]).round(1)
array([-2.1, -1.7])
>>> y_pred, lower, upper = pretrained.load_conformal("oqmd-formation-enthalpy").predict_interval(
...     ["NaCl"], confidence=0.9)
>>> bool(lower[0] < y_pred[0] < upper[0])
True
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the command line's help lists the models without loading torch
    from sklearn.pipeline import Pipeline

    from skirnet.intervals import ConformalRegressor

__all__ = ["list_models", "load", "load_conformal", "model_card", "resolve"]

_HERE = Path(__file__).resolve().parent
CARDS_FILE = "cards.json"


@cache
def _cards() -> dict[str, dict[str, Any]]:
    path = _HERE / CARDS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def list_models() -> list[str]:
    """Names of the shipped models.

    Returns
    -------
    list of str
        Sorted model names, for :func:`load`.

    Examples
    --------
    >>> from skirnet.pretrained import list_models
    >>> "oqmd-formation-enthalpy" in list_models()
    True
    """
    return sorted(_cards())


def model_card(name: str) -> dict[str, Any]:
    """The card of a shipped model: provenance, accuracy, files.

    Parameters
    ----------
    name : str
        A name from :func:`list_models`.

    Returns
    -------
    dict
        ``target``, ``unit``, ``data`` (dataset, split and row counts), ``recipe``,
        ``architecture``, ``parameters``, ``test_mae`` (of the shipped float16 weights,
        on the whole published test split), ``test_mae_float32``, ``epochs``,
        ``train_wall_s``, ``threads``, ``machine``, ``versions``, ``command``,
        ``files`` (SHA-256 of each file) and ``intervals`` (the stored conformal
        calibration: method, rows, split, half-widths at 68, 90 and 95 %, command).

    Raises
    ------
    KeyError
        No shipped model has this name (the message lists those that exist).

    Examples
    --------
    >>> from skirnet.pretrained import model_card
    >>> card = model_card("oqmd-formation-enthalpy")
    >>> card["unit"], card["data"]["test_rows"]
    ('eV/atom', 51255)
    """
    cards = _cards()
    if name not in cards:
        raise KeyError(
            f"no pretrained model named {name!r}; shipped models: {', '.join(sorted(cards))}"
        )
    return json.loads(json.dumps(cards[name]))  # a copy the caller may change


def _verified_folder(name: str) -> Path:
    from skirnet.persistence import ModelFileError

    card = model_card(name)
    folder = _HERE / name
    for relative, expected in card["files"].items():
        path = folder / relative
        if not path.is_file():
            raise ModelFileError(f"{path}: missing from the installed package (reinstall skirnet)")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ModelFileError(
                f"{path}: SHA-256 differs from the model card; the installed file is damaged "
                "(reinstall skirnet)"
            )
    return folder


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
    from skirnet.intervals import load_calibration
    from skirnet.persistence import ModelFileError

    folder = _verified_folder(name)
    conformal = load_calibration(folder, load(name))
    if conformal is None:
        raise ModelFileError(f"{folder}: the shipped model has no calibration (reinstall skirnet)")
    return conformal


def resolve(model: str | Path, *, must_exist: bool = False) -> Path:
    """The folder of a model given as a shipped model's name or as a folder.

    A path that exists wins over a name, so a folder called like a shipped model is
    still reachable.

    Parameters
    ----------
    model : str or Path
        A name from :func:`list_models`, or a folder written by ``skirnet train``.
    must_exist : bool, default=False
        Refuse a ``model`` that is neither an existing path nor a shipped model's name
        (a misspelt name), listing the shipped models; else it is returned as a path.

    Returns
    -------
    Path
        The model's folder (a shipped one is checked against its card first).

    Raises
    ------
    FileNotFoundError
        With ``must_exist``: no such folder and no shipped model of that name.

    Examples
    --------
    >>> from skirnet.pretrained import resolve
    >>> resolve("oqmd-formation-enthalpy").name
    'oqmd-formation-enthalpy'
    >>> resolve("oqmd-formation-enthalpi", must_exist=True)
    Traceback (most recent call last):
    ...
    FileNotFoundError: no such model folder: oqmd-formation-enthalpi, nor a pretrained model of that name (shipped models: oqmd-band-gap, oqmd-formation-enthalpy)
    """
    path = Path(model)
    if path.exists() or str(model) not in _cards():
        if must_exist and not path.exists():
            raise FileNotFoundError(
                f"no such model folder: {model}, nor a pretrained model of that name "
                f"(shipped models: {', '.join(list_models())})"
            )
        return path
    return _verified_folder(str(model))
