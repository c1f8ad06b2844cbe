"""The shipped models' registry: their cards, names and folders (no torch, no pipeline).

The models themselves live in ``skirnet/pretrained/``; this module sits below the
pipeline and fine-tuning, which find their sources here, while :mod:`skirnet.pretrained`
(which loads whole pipelines) sits above them.

:func:`resolve` turns a model's name into its verified folder; the command line lists the
models from here without loading torch, and fine-tuning finds its source here.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CARDS_FILE", "MODELS_DIR", "list_models", "model_card", "resolve", "verified_folder"]

#: The folder of the installed models and their cards.
MODELS_DIR = Path(__file__).resolve().parent / "pretrained"
CARDS_FILE = "cards.json"


@cache
def _cards() -> dict[str, dict[str, Any]]:
    path = MODELS_DIR / CARDS_FILE
    if not path.is_file():
        return {}
    try:
        cards = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: damaged ({exc}); reinstall skirnet") from None
    if not isinstance(cards, dict):
        raise ValueError(f"{path}: damaged (not a JSON object); reinstall skirnet")
    return cards


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


def verified_folder(name: str) -> Path:
    """The installed folder of the shipped model ``name``, its files checked against its card.

    Raises :class:`~skirnet.ModelFileError` naming the first file that is missing or whose
    SHA-256 differs from the card's.
    """
    from skirnet._network_file import ModelFileError

    card = model_card(name)
    folder = MODELS_DIR / name
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
    return verified_folder(str(model))
