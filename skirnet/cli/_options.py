"""The options that several ``skirnet`` commands take: their help texts, types and defaults.

A command's own options are declared in its module; this one holds what they share (the
input table's columns, the feature sets, the training settings, threads and seed, ...)
and the argument types that check an option's value when it is parsed. Everything an
estimator validates itself is left to it.

An option is declared as its ``add_argument`` keywords, help text included; an option
group is a dict of them, added in order by :func:`add_options`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from skirnet.feature_sets import FEATURE_SETS
from skirnet.pretrained import list_models
from skirnet.recipes import LARGE_TABLE_ROWS, RECIPES

__all__ = [
    "COMMON",
    "DATA",
    "DEBUG",
    "FEATURES",
    "FORMULA_COL",
    "INTERVAL",
    "PROG",
    "RECIPE_NOTE",
    "TARGET_COL",
    "THREADS",
    "TRAINING",
    "Options",
    "add_options",
    "device",
    "fold_count",
    "fraction",
    "level",
    "out_folder",
    "parse_depths",
    "parse_models",
    "positive_float",
    "positive_int",
]

#: An option group: each option's ``add_argument`` keywords, in the order ``--help`` lists them.
Options = Mapping[str, Mapping[str, Any]]

PROG = "skirnet"
RECIPE_NOTE = (
    "Training follows a named recipe (--recipe): 'paper' is Jha et al.'s (Adam, lr 1e-4, "
    "batch 32), 'large-batch' AdamW with a one-cycle schedule at batch 1024, the default "
    f"from {LARGE_TABLE_ROWS:,} training rows. Results depend on the number of CPU threads: "
    "--threads N with --seed S reproduces a run exactly."
)


# --------------------------------------------------------------------------- types


def _checked(kind: type, test: Callable[[Any], bool], expected: str) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)`` when it passes ``test``, else 'expected ...'."""

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not test(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return convert


positive_int = _checked(int, lambda v: v > 0, "a positive integer")
positive_float = _checked(float, lambda v: v > 0, "a positive number")
fraction = _checked(float, lambda v: 0 < v < 1, "a fraction between 0 and 1")
level = _checked(float, lambda v: 0 < v < 1, "a confidence level between 0 and 1, e.g. 0.9")
fold_count = _checked(int, lambda v: v >= 2, "at least 2 folds for cross-validation")


def device(text: str) -> str:
    """An argparse type: ``'auto'`` or a torch device such as ``cpu`` or ``cuda:0``.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    str
        ``'auto'``, or the device as torch writes it.

    Raises
    ------
    argparse.ArgumentTypeError
        Not a device torch knows.

    Examples
    --------
    >>> device("auto"), device("cpu")
    ('auto', 'cpu')
    """
    import torch

    try:
        return text if text == "auto" else str(torch.device(text))
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {text!r}"
        ) from None


def _tokens(text: str | Sequence[Any]) -> list[str]:
    parts = text.split(",") if isinstance(text, str) else text
    return [token for token in (str(part).strip() for part in parts) if token]


def parse_models(text: str | Sequence[str]) -> list[str]:
    """Short names of ``--models irnet,PlainNet,rf`` (any case), without duplicates.

    Parameters
    ----------
    text : str or sequence of str
        Comma-separated names of networks and baselines, or a list of them.

    Returns
    -------
    list of str
        Their short names (``irnet``, ``srnet``, ``plain``, a baseline's name), in order.

    Raises
    ------
    ValueError
        An unknown name, or none at all.

    Examples
    --------
    >>> parse_models("IRNet, plainnet,rf")
    ['irnet', 'plain', 'rf']
    """
    from skirnet.baselines import BASELINE_NAMES
    from skirnet.estimators import NETWORKS, network_name

    names: list[str] = []
    for token in _tokens(text):
        try:
            name = network_name(token)
        except KeyError:
            name = token.lower()
            if name not in BASELINE_NAMES:
                known = ", ".join([*NETWORKS, *BASELINE_NAMES])
                raise ValueError(f"unknown model {token!r}; choose from {known}") from None
        names += [name] if name not in names else []
    if not names:
        raise ValueError("no model given; pass e.g. --models irnet,plain,rf")
    return names


def parse_depths(text: str | Sequence[int]) -> list[int]:
    """The paper's depths of ``--depths 10,17``, without duplicates.

    Parameters
    ----------
    text : str or sequence of int
        Comma-separated depths, or a list of them.

    Returns
    -------
    list of int
        The depths, in order.

    Raises
    ------
    ValueError
        A depth that is not a number or not one of the paper's, or none at all.

    Examples
    --------
    >>> parse_depths("10, 17")
    [10, 17]
    """
    from skirnet.nn.architectures import ARCHITECTURES

    depths: list[int] = []
    allowed = ", ".join(str(d) for d in sorted(ARCHITECTURES))
    for token in _tokens(text):
        if not token.lstrip("-").isdigit():
            raise ValueError(f"bad depth {token!r} in --depths; give integers from {allowed}")
        if int(token) not in ARCHITECTURES:
            raise ValueError(f"unknown depth {int(token)}; the paper's depths are {allowed}")
        depths += [int(token)] if int(token) not in depths else []
    if not depths:
        raise ValueError(f"no depth given; pass e.g. --depths 17 (choose from {allowed})")
    return depths


# --------------------------------------------------------------------------- options

FORMULA_COL: Options = {
    "--formula-col": {
        "help": "column of chemical formulas (default: 'formula', 'composition', "
        "'formula_pretty' or 'pretty_formula', any case)",
    },
}
#: The user's table: a file of formulas or structures, or a folder of structures.
DATA: Options = {
    "--data": {
        "required": True,
        "type": Path,
        "metavar": "FILE",
        "help": "CSV (optionally gzipped), Parquet or Matbench-style JSON (.json, .json.gz) "
        "file of formulas, or crystal structures: such a file with a CIF or structure column "
        "and no formula column, or a folder with id_prop.csv and CIF/POSCAR files",
    },
    **FORMULA_COL,
    "--structure-col": {
        "metavar": "COL",
        "help": "column of structures (CIF text, or structure dicts in JSON; "
        "default: 'cif' or 'structure'); the table then holds crystal structures",
    },
}
TARGET_COL: Options = {
    "--target-col": {"help": "numeric target column (default: 'target' or 'y')"},
}
# from the feature sets' registry (a light module: --help loads no pymatgen)
FEATURES: Options = {
    "--features": {
        "choices": list(FEATURE_SETS),
        "help": "inputs of the models. Formulas: composition (145 Magpie attributes), "
        "fractions (ElemNet's 86 element fractions) or composition+fractions (both; the "
        f"default from {LARGE_TABLE_ROWS:,} training rows, composition below). Structures: "
        "composition, structure (128 Voronoi attributes of Ward et al. 2017) or both "
        "(default)",
    },
}
#: The training settings of the networks (recipe and overrides, architecture, source).
TRAINING: Options = {
    "--recipe": {
        "choices": list(RECIPES),
        "help": f"training recipe (default: large-batch from {LARGE_TABLE_ROWS:,} training "
        "rows, else paper): "
        + "; ".join(
            f"{k}: " + ", ".join(f"{p}={v}" for p, v in r.items()) for k, r in RECIPES.items()
        ),
    },
    "--epochs": {
        "type": positive_int,
        "help": "maximum epochs per network (default: the recipe's)",
    },
    "--batch-size": {"type": int, "help": "mini-batch size (default: the recipe's)"},
    "--lr": {"type": float, "help": "learning rate (default: the recipe's)"},
    "--patience": {
        "type": int,
        "help": "early-stopping patience in epochs (default: the recipe's)",
    },
    "--time-budget": {
        "type": positive_float,
        "metavar": "SECONDS",
        "help": "stop each network's training after this many seconds (default: none)",
    },
    "--hidden-layer-sizes": {
        "metavar": "SPEC",
        "help": "custom architecture such as '64x2-32' instead of the paper's depths",
    },
    "--pretrained": {
        "metavar": "MODEL",
        "help": "fine-tune the networks from a trained model: a pretrained model's name "
        f"({', '.join(list_models())}) or a folder from 'skirnet train'; its architecture, "
        "standardisation and weights are the start (--depths/--hidden-layer-sizes do not "
        "apply)",
    },
}
THREADS: Options = {
    "--threads": {
        "type": positive_int,
        "metavar": "N",
        "help": "CPU threads for torch (default: the CPU cores not already busy, judged by "
        "the CPU time /proc/stat counts over a moment, where there is one; else every core); "
        "the last digits of every result depend on it: give --threads (and --seed) to "
        "reproduce a run exactly",
    },
}
DEBUG: Options = {
    "--debug": {"action": "store_true", "help": "show the full traceback of any error"},
}
#: Threads, seed, device and output of the commands that train.
COMMON: Options = {
    **THREADS,
    "--seed": {"type": int, "default": 0, "help": "random seed (default: 0)"},
    "--device": {
        "type": device,
        "default": "auto",
        "help": "'auto' (CUDA when available, default), 'cpu' or 'cuda'",
    },
    "--verbose": {
        "action": "store_true",
        "help": "print skorch's per-epoch table instead of progress bars",
    },
    **DEBUG,
}
#: Conformal intervals from the calibration stored with a model (predict, screen).
INTERVAL: Options = {
    "--interval": {
        "type": level,
        "metavar": "LEVEL",
        "help": "add columns lower and upper after prediction: a conformal prediction "
        "interval holding the target with this probability (0.9 for 90%%), from the "
        "calibration stored with the model (pretrained models: their validation rows; "
        "'skirnet train': its --val rows); empty for rows without a prediction",
    },
}


def out_folder(command: str) -> Options:
    """``--out``, the output folder of a command that writes results (default: ./skirnet-CMD).

    Parameters
    ----------
    command : str
        The command's name.

    Returns
    -------
    Options
        The option ``--out`` and its keywords.

    Examples
    --------
    >>> str(out_folder("demo")["--out"]["default"])
    'skirnet-demo'
    """
    return {
        "--out": {
            "type": Path,
            "default": Path(f"skirnet-{command}"),
            "help": f"output folder (default: ./skirnet-{command}); earlier results there are "
            "replaced once the new ones are complete",
        },
    }


def add_options(parser: argparse._ActionsContainer, options: Options) -> None:
    """Add ``options`` to ``parser`` (or to an argument group of it), in order.

    Parameters
    ----------
    parser : argparse.ArgumentParser or argument group
        Where the options go (a mutually exclusive group makes them exclusive).
    options : Options
        Each option's ``add_argument`` keywords.

    Examples
    --------
    >>> parser = argparse.ArgumentParser()
    >>> add_options(parser, TARGET_COL)
    >>> parser.parse_args(["--target-col", "dH"]).target_col
    'dH'
    """
    for option, keywords in options.items():
        parser.add_argument(option, **keywords)
