"""The ``skirnet`` command line's parser: its commands, options and help texts.

:mod:`skirnet.cli` runs the commands; this module only says what they accept. Option
values are checked for their type here; everything an estimator validates itself is left
to it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from skirnet._version import __version__
from skirnet.feature_sets import FEATURE_SETS
from skirnet.pretrained import list_models
from skirnet.recipes import LARGE_TABLE_ROWS, RECIPES

__all__ = ["CLIError", "build_parser"]

PROG = "skirnet"
#: ``skirnet demo``: the large-batch recipe, cut to 10 epochs so that its one-cycle
#: schedule completes within the time budget of each network on a 2-core CPU without
#: bfloat16 (IRNet-17 on the sample's 20,000 training rows: 46 s there; a budget that cuts
#: the schedule short leaves the learning rate high and the MAE worse,
#: benchmarks/results/demo_sample_amd.json).
DEMO_SETTINGS = {"recipe": "large-batch", "max_epochs": 10, "time_budget": 60.0}
#: ``skirnet demo --quick``: a 600/200-row subset and two epochs, for tests.
QUICK_SETTINGS = {"recipe": "large-batch", "max_epochs": 2, "time_budget": None}
QUICK_ROWS = (600, 200)
_RECIPE_NOTE = (
    "Training follows a named recipe (--recipe): 'paper' is Jha et al.'s (Adam, lr 1e-4, "
    "batch 32), 'large-batch' AdamW with a one-cycle schedule at batch 1024, the default "
    f"from {LARGE_TABLE_ROWS:,} training rows. Results depend on the number of CPU threads: "
    "--threads N with --seed S reproduces a run exactly."
)
#: Options that set an estimator parameter of another name (``--lr`` sets ``lr``, ...).
OPTION_OF = {"max_epochs": "--epochs", "random_state": "--seed"}


class CLIError(Exception):
    """Bad command-line input: reported as one line, without traceback."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``skirnet: error: ...``."""

    def error(self, message: str) -> NoReturn:
        sub = self.prog.split(" ", 1)[1] + " " if " " in self.prog else ""
        self.exit(2, f"{PROG}: error: {message} (see '{PROG} {sub}--help')\n")


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


_positive_int = _checked(int, lambda v: v > 0, "a positive integer")
_positive_float = _checked(float, lambda v: v > 0, "a positive number")
_fraction = _checked(float, lambda v: 0 < v < 1, "a fraction between 0 and 1")
_level = _checked(float, lambda v: 0 < v < 1, "a confidence level between 0 and 1, e.g. 0.9")
_fold_count = _checked(int, lambda v: v >= 2, "at least 2 folds for cross-validation")


def _device(text: str) -> str:
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


def single_value(values: list[Any], option: str) -> Any:
    if len(values) > 1:
        raise CLIError(
            f"{option} takes one value, got {len(values)} ({', '.join(map(str, values))}); "
            f"'skirnet compare {option}s' compares several"
        )
    return values[0]


# --------------------------------------------------------------------------- parser

_HELP = {
    "--data": "CSV (optionally gzipped), Parquet or Matbench-style JSON (.json, .json.gz) "
    "file of formulas, or crystal structures: such a file with a CIF or structure column "
    "and no formula column, or a folder with id_prop.csv and CIF/POSCAR files",
    "--structure-col": "column of structures (CIF text, or structure dicts in JSON; "
    "default: 'cif' or 'structure'); the table then holds crystal structures",
    "--features": "inputs of the models. Formulas: composition (145 Magpie attributes), "
    "fractions (ElemNet's 86 element fractions) or composition+fractions (both; the "
    f"default from {LARGE_TABLE_ROWS:,} training rows, composition below). Structures: "
    "composition, structure (128 Voronoi attributes of Ward et al. 2017) or both "
    "(default)",
    "--formula-col": "column of chemical formulas (default: 'formula', 'composition', "
    "'formula_pretty' or 'pretty_formula', any case)",
    "--target-col": "numeric target column (default: 'target' or 'y')",
    "--threads": "CPU threads for torch (default: the CPU cores not already busy, judged by "
    "the CPU time /proc/stat counts over a moment, where there is one; else every core); "
    "the last digits of every result depend on it: give --threads (and --seed) to "
    "reproduce a run exactly",
    "--seed": "random seed (default: 0)",
    "--device": "'auto' (CUDA when available, default), 'cpu' or 'cuda'",
    "--verbose": "print skorch's per-epoch table instead of progress bars",
    "--debug": "show the full traceback of any error",
    "--recipe": f"training recipe (default: large-batch from {LARGE_TABLE_ROWS:,} training "
    "rows, else paper): "
    + "; ".join(
        f"{k}: " + ", ".join(f"{p}={v}" for p, v in r.items()) for k, r in RECIPES.items()
    ),
    "--epochs": "maximum epochs per network (default: the recipe's)",
    "--batch-size": "mini-batch size (default: the recipe's)",
    "--lr": "learning rate (default: the recipe's)",
    "--patience": "early-stopping patience in epochs (default: the recipe's)",
    "--time-budget": "stop each network's training after this many seconds (default: none)",
    "--hidden-layer-sizes": "custom architecture such as '64x2-32' instead of the paper's depths",
    "--pretrained": "fine-tune the networks from a trained model: a pretrained model's name "
    f"({', '.join(list_models())}) or a folder from 'skirnet train'; its architecture, "
    "standardisation and weights are the start (--depths/--hidden-layer-sizes do not apply)",
    "--models": "comma-separated: irnet, srnet, plain and any baseline of skirnet.baselines "
    "(linear, sgd, elasticnet, adaboost, ridge, svr, tree, rf, hgb); default: irnet,plain,rf",
    "--depths": "comma-separated network depths from 10, 17, 24, 48 (default: 17)",
    "--test-size": "test fraction of one shuffled split (default: 0.2)",
    "--val": "a published validation split (a file with the columns of --data): the "
    "networks early-stop on it instead of a random 10%% of their training rows; the other "
    "models never see it",
    "--test": "a published test split (a file with the columns of --data): every model "
    "trains on all of --data and is scored on it; nothing is shuffled across files",
    "--cv": "K-fold cross-validation instead of one split",
    "--drop-bad-rows": "drop the rows that cannot be featurized (a structure that cannot be "
    "read or tessellated, a formula that cannot be parsed) from --data, --val and --test "
    "instead of stopping at the first: one line per file gives their number and ids, and "
    "results.json records each (info.dropped_rows: row, id, reason); a file none of whose "
    "rows can be featurized is still an error",
    "--out": "output folder (default: ./skirnet-{}); earlier results there are replaced once "
    "the new ones are complete",
    "--quick": f"a {QUICK_ROWS[0]}/{QUICK_ROWS[1]}-row subset and 2 epochs (seconds; for "
    "tests, not for conclusions)",
    "--model": "irnet (default), srnet or plain",
    "--depth": "10, 17 (default), 24 or 48",
    "train --val": "a published validation split (a file with the columns of --data): the "
    "network early-stops on it instead of a random 10%% of the training rows, and a "
    "split-conformal calibration on its rows is saved with the model (conformal.json) for "
    "predict/screen --interval",
    "train --drop-bad-rows": "drop the rows that cannot be featurized (a structure that "
    "cannot be read or tessellated, a formula that cannot be parsed) from --data and --val "
    "instead of stopping at the first: one line per file gives their number and ids, and "
    "pipeline.json records each (info.dropped_rows: row, id, reason); a file none of whose "
    "rows can be featurized is still an error",
    "train --out": "folder to save the model in; a model already there is replaced once the "
    "new one is complete",
    "predict --model": "folder written by 'skirnet train', or a pretrained model's name "
    f"({', '.join(list_models())})",
    "--output": "CSV to write (default: print to stdout); an existing file is replaced once "
    "the new one is complete",
    "demo": "Featurize the embedded 22,000-row OQMD formation-enthalpy sample (Magpie "
    "attributes and element fractions), train IRNet-17 and PlainNet-17 (StandardScaler in "
    "front, standardised features clipped to +-10) and a random forest on its 20,000-row "
    "train split, and report "
    "test MAE, RMSE and R2 on its 2,000-row test split; writes parity.png, "
    "learning_curves.png, results.csv and results.json. Networks train with the large-batch "
    f"recipe cut to {DEMO_SETTINGS['max_epochs']} epochs and a "
    f"{DEMO_SETTINGS['time_budget']:g} s budget each: about 2.5 minutes on a 2-core CPU. The "
    "sample keeps OQMD's few extreme targets (down to -95 eV/atom); they count in every MAE.",
    "compare": "Featurize a table of formulas (or crystal structures), fit the chosen models "
    "on identical splits and write results.csv, parity.png, learning_curves.png (and "
    "depth_study.png for several depths) and, last, results.json into --out. " + _RECIPE_NOTE,
    "train": "Train Pipeline(featurizer, StandardScaler, clip to +-10, network) on a table "
    "of formulas (or crystal structures) and save it into --out: the network with "
    "skirnet.save (safetensors + JSON) in OUT/net, then the featurizer parameters, scaler "
    "statistics, settings and thread count in OUT/pipeline.json. " + _RECIPE_NOTE,
    "screen": "Rank candidate compositions with a trained or pretrained model: candidates "
    "from a CSV/Parquet file (--data) or generated from elements (--elements, --max-atoms: "
    "every reduced A_a B_b C_c with a + b + c <= N), featurized and predicted in chunks with "
    "bounded memory, streamed to a Parquet file with one row per candidate in input order "
    "(formula, prediction, std for an ensemble, error saying why a row has no prediction); "
    "the best candidates are printed at the end. --dask runs the chunks on a Dask cluster "
    "with identical results.",
    "screen --model": "folder written by 'skirnet train', or a pretrained model's name",
    "screen --data": "CSV (optionally gzipped) or Parquet file of candidate formulas",
    "screen --output": "Parquet file to write; written under a temporary name and renamed "
    "when complete (an existing file is replaced then)",
    "--interval": "add columns lower and upper after prediction: a conformal prediction "
    "interval holding the target with this probability (0.9 for 90%%), from the calibration "
    "stored with the model (pretrained models: their validation rows; 'skirnet train': its "
    "--val rows); empty for rows without a prediction",
    "--elements": "comma-separated element symbols to combine, e.g. Li,Fe,P,O",
    "--max-atoms": "largest number of atoms per formula unit of a generated composition; a "
    "grid of more than a billion compositions (skirnet.screening.MAX_GENERATED) is refused, "
    "naming the largest --max-atoms that fits",
    "--min-elements": "generate only compositions with at least this many elements (default: 1)",
    "--charge-balanced": "keep only generated compositions that balance with common "
    "oxidation states",
    "--top": "number of best candidates to print (default: 20)",
    "--highest": "best means highest prediction (default: lowest, e.g. formation enthalpy)",
    "--chunk-size": "candidates per chunk (default: 100000); memory grows with it",
    "--dask": "'local' to start a Dask LocalCluster on this machine, or a scheduler address "
    "such as tcp://10.0.0.5:8786",
    "predict": "Predict formulas or crystal structures with a model folder written by "
    "'skirnet train' or a pretrained model shipped with skirnet (by name, e.g. "
    "oqmd-formation-enthalpy; "
    "no training, no download); writes a CSV with one row per input row: formula (id for "
    "structures), prediction and error (why a row has no prediction).",
}
_SUMMARIES = {
    "demo": "IRNet-17 vs PlainNet-17 vs random forest on the embedded OQMD sample",
    "compare": "compare networks and classical baselines on your own table",
    "train": "train one network on your table and save it (pickle-free)",
    "predict": "predict with a model saved by 'skirnet train' or a pretrained one",
    "screen": "rank millions of candidate compositions (file or element grid), optionally on Dask",
}
# option: argparse keywords, per command; the help text is _HELP["<command> <option>"] or
# _HELP["<option>"]
_DATA = {
    "--data": {"required": True, "type": Path, "metavar": "FILE"},
    "--formula-col": {},
    "--structure-col": {"metavar": "COL"},
}
# from the feature sets' registry (a light module: --help loads no pymatgen)
_FEATURES = {"--features": {"choices": list(FEATURE_SETS)}}
_TRAINING = {
    "--recipe": {"choices": list(RECIPES)},
    "--epochs": {"type": _positive_int},
    "--batch-size": {"type": int},
    "--lr": {"type": float},
    "--patience": {"type": int},
    "--time-budget": {"type": _positive_float, "metavar": "SECONDS"},
    "--hidden-layer-sizes": {"metavar": "SPEC"},
    "--pretrained": {"metavar": "MODEL"},
}
_COMMON = {
    "--threads": {"type": _positive_int, "metavar": "N"},
    "--seed": {"type": int, "default": 0},
    "--device": {"type": _device, "default": "auto"},
    "--verbose": {"action": "store_true"},
    "--debug": {"action": "store_true"},
}
_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "demo": {
        "--out": {"type": Path, "default": Path("skirnet-demo")},
        "--quick": {"action": "store_true"},
        **_COMMON,
    },
    "compare": {
        **_DATA,
        "--target-col": {},
        "--models": {"default": "irnet,plain,rf"},
        "--depths": {"default": "17"},
        "--test-size": {"type": _fraction, "default": 0.2},
        "--cv": {"type": _fold_count, "metavar": "K"},
        "--test": {"type": Path, "metavar": "FILE"},
        "--val": {"type": Path, "metavar": "FILE"},
        "--drop-bad-rows": {"action": "store_true"},
        **_FEATURES,
        "--out": {"type": Path, "default": Path("skirnet-compare")},
        **_TRAINING,
        **_COMMON,
    },
    "train": {
        **_DATA,
        "--target-col": {},
        "--model": {"default": "irnet"},
        "--depth": {"default": "17"},
        "--val": {"type": Path, "metavar": "FILE"},
        "--drop-bad-rows": {"action": "store_true"},
        **_FEATURES,
        "--out": {"type": Path, "required": True},
        **_TRAINING,
        **_COMMON,
    },
    "predict": {
        "--model": {"required": True, "metavar": "MODEL"},
        **_DATA,
        "--output": {"type": Path, "metavar": "FILE"},
        "--interval": {"type": _level, "metavar": "LEVEL"},
        "--threads": _COMMON["--threads"],
        "--debug": _COMMON["--debug"],
    },
    "screen": {
        "--model": {"required": True, "metavar": "MODEL"},
        "--data": {"type": Path, "metavar": "FILE"},
        "--formula-col": {},
        "--elements": {"metavar": "A,B,C"},
        "--max-atoms": {"type": _positive_int, "metavar": "N"},
        "--min-elements": {"type": _positive_int, "default": 1, "metavar": "N"},
        "--charge-balanced": {"action": "store_true"},
        "--output": {"type": Path, "required": True, "metavar": "FILE"},
        "--top": {"type": _positive_int, "default": 20, "metavar": "K"},
        "--highest": {"action": "store_true"},
        "--chunk-size": {"type": _positive_int, "default": 100_000, "metavar": "N"},
        "--dask": {"metavar": "local|ADDRESS"},
        "--interval": {"type": _level, "metavar": "LEVEL"},
        "--threads": _COMMON["--threads"],
        "--debug": _COMMON["--debug"],
    },
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skirnet`` command.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["train", "--data", "t.csv", "--out", "m"]).recipe is None
    True
    """
    parser = _Parser(
        prog=PROG,
        description="Deep residual regressors (IRNet, SRNet, PlainNet) for materials "
        "properties from chemical formulas and crystal structures (Jha et al., Sci. Rep. "
        "11:4244, 2021).",
        epilog=_RECIPE_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command, options in _OPTIONS.items():
        p = sub.add_parser(command, help=_SUMMARIES[command], description=_HELP[command])
        # --test-size, --cv or --test (compare); an empty group breaks argparse's usage
        exclusive = ("--test-size", "--cv", "--test")
        split = p.add_mutually_exclusive_group() if exclusive[0] in options else p
        for option, kw in options.items():
            text = _HELP.get(f"{command} {option}", _HELP[option]).replace("{}", command)
            (split if option in exclusive else p).add_argument(option, help=text, **kw)
    return parser
