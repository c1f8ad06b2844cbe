"""What several commands do at run time: bad input, settings, checks and the header lines.

Bad input is a :class:`CLIError`, which :func:`main <skirnet.cli.main>` prints as one
line. The training settings come from the options through the library's recipes
(:func:`training_settings`); the networks validate their own parameters
(:func:`check_networks`) before any slow work.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from skirnet.cli._options import PROG

__all__ = [
    "OPTION_OF",
    "CLIError",
    "check_networks",
    "check_output_folder",
    "features_origin",
    "note_replacing",
    "print_header",
    "stored_calibration",
    "training_settings",
]

#: Options that set an estimator parameter of another name (``--lr`` sets ``lr``, ...).
OPTION_OF = {"max_epochs": "--epochs", "random_state": "--seed"}


class CLIError(Exception):
    """Bad command-line input: reported as one line, without traceback."""


def training_settings(args: argparse.Namespace, n_train: int, **fixed: Any) -> Any:
    """The training settings: a recipe (given, else by table size) and the overrides.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--recipe``, ``--epochs``, ``--lr``, ..., ``--seed``).
    n_train : int
        Training rows, which choose the recipe when ``--recipe`` is not given.
    **fixed
        Settings that replace the options' (the demo's recipe, a validation file's name).

    Returns
    -------
    skirnet.pipeline.TrainingSettings

    Examples
    --------
    >>> args = argparse.Namespace(seed=0, device="cpu", verbose=False)
    >>> training_settings(args, 50_000).recipe, training_settings(args, 500).recipe
    ('large-batch', 'paper')
    """
    from skirnet.pipeline import TrainingSettings
    from skirnet.recipes import recipe_for_rows

    values = {k: getattr(args, k, None) for k in ("lr", "batch_size", "patience", "time_budget")}
    values.update(
        recipe=getattr(args, "recipe", None) or recipe_for_rows(n_train),
        max_epochs=getattr(args, "epochs", None),
        hidden_layer_sizes=getattr(args, "hidden_layer_sizes", None),
        seed=args.seed,
        device=args.device,
        verbose=int(args.verbose),
        progress=not args.verbose,
        pretrained=getattr(args, "pretrained", None),
    )
    return TrainingSettings(**{**values, **fixed})


def check_networks(models: dict[str, Any]) -> None:
    """Let every network validate its parameters now, before any slow work.

    Parameters
    ----------
    models : dict of str to estimator
        The models to fit; networks (alone or ending a pipeline) are checked.

    Raises
    ------
    CLIError
        A parameter the network refuses, named as the option that sets it.
    """
    from sklearn.utils._param_validation import InvalidParameterError

    from skirnet.estimators import ResidualNetRegressor

    for model in models.values():
        net = model.steps[-1][1] if hasattr(model, "steps") else model
        try:
            if isinstance(net, ResidualNetRegressor):
                net.check_params()
        except InvalidParameterError as exc:
            param = re.match(r"The '(\w+)' parameter", str(exc))
            if param is None:
                raise
            option = OPTION_OF.get(param[1], "--" + param[1].replace("_", "-"))
            raise CLIError(f"{option}: {exc}") from None


def check_output_folder(out: Path) -> None:
    """Refuse an ``--out`` that is a file.

    Parameters
    ----------
    out : Path
        The output folder (created later if needed).

    Raises
    ------
    CLIError
        ``out`` is a file.
    """
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is a file; give a folder (it is created if needed)")


def note_replacing(path: Path, what: str) -> None:
    """Say on stderr that ``what`` will be replaced, where ``path`` exists.

    Parameters
    ----------
    path : Path
        The file whose presence means there is something to replace.
    what : str
        What the message names ("results in OUT", a file name).
    """
    if path.exists():
        print(f"{PROG}: replacing existing {what}", file=sys.stderr)


def features_origin(args: argparse.Namespace) -> str:
    """What chose the feature set, for :func:`print_header`: the user or ``--pretrained``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--features``, ``--pretrained``).

    Returns
    -------
    str

    Examples
    --------
    >>> features_origin(argparse.Namespace(features=None, pretrained="oqmd-band-gap"))
    ' (the inputs of --pretrained oqmd-band-gap)'
    >>> features_origin(argparse.Namespace(features="composition", pretrained=None))
    ' (--features)'
    """
    if args.features is None and getattr(args, "pretrained", None) is not None:
        return f" (the inputs of --pretrained {args.pretrained})"
    return " (--features)"


def print_header(
    title: str, settings: Any, features: str | None = None, option: str = " (--features)"
) -> None:
    """Print a training command's title, inputs and network settings.

    Parameters
    ----------
    title : str
        The first line.
    settings : skirnet.pipeline.TrainingSettings
        The networks' settings, described with the device and thread count.
    features : str, optional
        The feature set, when the command chose one.
    option : str, default=" (--features)"
        What chose the feature set, after its name.
    """
    import torch

    from skirnet.device import resolve_device

    print(title)
    if features is not None:
        print(f"Inputs: {features} attributes{option}")
    print(
        f"Network settings: {settings.describe()} (training on "
        f"{resolve_device(settings.device)}, {torch.get_num_threads()} CPU thread(s))"
    )


def stored_calibration(args: argparse.Namespace, folder: Path, conformal: Any) -> Any:
    """The calibration saved with the model, for ``--interval``; a clear error without one.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--model``, ``--interval``).
    folder : Path
        The model's folder.
    conformal : skirnet.ConformalRegressor or None
        The calibration loaded with the model
        (:func:`skirnet.pipeline.load_pipeline_with_calibration`).

    Returns
    -------
    skirnet.ConformalRegressor

    Raises
    ------
    CLIError
        The model has no calibration, or too few calibration rows for the level.
    """
    from skirnet.intervals import CALIBRATION_FILE, check_level

    if conformal is None:
        raise CLIError(
            f"--interval needs a calibration saved with the model, and {args.model} has none "
            f"({CALIBRATION_FILE}): train it with 'skirnet train --val FILE' (held-out rows "
            "it is then calibrated on), or calibrate it with skirnet.ConformalRegressor on "
            f'held-out rows and write {{"conformal": its to_dict()}} to '
            f"{folder / CALIBRATION_FILE}"
        )
    try:
        check_level(conformal.to_dict(), args.interval)
    except ValueError as exc:
        raise CLIError(f"--interval {args.interval:g}: {exc}") from None
    return conformal
