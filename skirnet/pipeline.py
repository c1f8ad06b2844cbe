"""A network behind feature scaling as a scikit-learn Pipeline: build, train, save, load.

The command line's networks see standardised Magpie features clipped to
±:data:`FEATURE_CLIP` standard deviations::

    Pipeline([("scale", StandardScaler()), ("clip", ...), ("net", IRNetRegressor(...))])

:func:`make_net` builds that pipeline from a :class:`TrainingSettings` (a named recipe of
:mod:`skirnet.recipes` plus explicit overrides); :func:`train_pipeline` puts a
:class:`~skirnet.featurizers.CompositionFeaturizer` in front and fits it on formulas, and
:func:`fit_featurized` fits such a pipeline on features its caller computed already;
:func:`save_pipeline` and :func:`load_pipeline` keep such a pipeline without pickle (the
network through :func:`skirnet.save`, the featurizer and scaler in ``pipeline.json``).

A saved pipeline is one folder, ``pipeline.json`` next to the network's folder ``net/``,
and it is saved and loaded whole even while another process saves over it (see
``skirnet._atomic``): the folder is written aside and swapped in whole, and
``pipeline.json`` records the SHA-256 of ``net/skirnet.json``, which records those of the
weights and the optimiser state, so one chain of checksums ties every file of ``net/`` to
``pipeline.json``. :func:`load_pipeline` reads each file once, follows the chain on the
bytes it read, and reads again while a save in progress makes them disagree; a scaler of
one save never meets the network of another. A folder whose parts still disagree (copied
or edited by hand) is refused, naming the file. Folders written before the checksum was
recorded (the shipped models among them) load as before.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skirnet._atomic import read_whole, replace_folder, write_atomically
from skirnet._network_file import CONFIG_FILE, ModelFileError, read_files
from skirnet._shipped_models import resolve
from skirnet._version import __version__
from skirnet.callbacks import EpochProgress, TimeBudget
from skirnet.estimators import NETWORKS, ResidualNetRegressor, network_name
from skirnet.featurizers import BaseFeaturizer, CompositionFeaturizer, StructureFeaturizer
from skirnet.intervals import (
    CALIBRATION_FILE,
    CALIBRATION_SHA256,
    ConformalRegressor,
    load_calibration,
)
from skirnet.persistence import load_from_files, mismatch, save
from skirnet.recipes import recipe_params

__all__ = [
    "FEATURE_CLIP",
    "PIPELINE_FILE",
    "PipelineFileError",
    "TrainingSettings",
    "fit_featurized",
    "fit_with_validation",
    "input_kind",
    "load_pipeline",
    "load_pipeline_with_calibration",
    "make_formula_pipeline",
    "make_net",
    "save_pipeline",
    "source_scaler",
    "train_pipeline",
    "write_atomically",
]

#: File of a saved pipeline (next to the network's folder ``net/``).
PIPELINE_FILE = "pipeline.json"
PIPELINE_FORMAT = 1
#: Standardised features are clipped to [-FEATURE_CLIP, FEATURE_CLIP] before the network:
#: a Magpie feature that is nearly constant in the training data (f-electron counts on a
#: small set) otherwise puts a rare test compound 1e5 standard deviations out and its
#: prediction tens of eV/atom off.
FEATURE_CLIP = 10.0

#: Recipe values that :class:`TrainingSettings` may override.
_OVERRIDABLE = ("lr", "batch_size", "max_epochs", "patience")
_REQUIRED_KEYS = {"format", "steps", "featurizer", "scaler", "net_dir"}
_OPTIONAL_KEYS = {
    "skirnet_version",
    "clip",
    "feature_names",
    "formula_col",
    "structure_col",
    "target_col",
    "settings",
    "torch_threads",
    "info",
    "net_sha256",
    CALIBRATION_SHA256,
}


class PipelineFileError(ModelFileError):
    """A saved pipeline folder that cannot be loaded; the message names the file."""


def feature_clipper(limit: float = FEATURE_CLIP) -> FunctionTransformer:
    return FunctionTransformer(np.clip, kw_args={"a_min": -limit, "a_max": limit})


@dataclasses.dataclass
class TrainingSettings:
    """Training settings shared by every network of a run: a recipe plus overrides.

    Parameters
    ----------
    recipe : {"paper", "large-batch"}, default="paper"
        Named recipe of :mod:`skirnet.recipes` (optimiser, learning rate, batch size,
        schedule, epochs, patience).
    lr, batch_size, max_epochs, patience : optional
        Override the recipe's value; ``None`` keeps it.
    time_budget : float or None
        Seconds after which one fit stops at the end of its current epoch (then the
        best validation epoch's weights are restored); ``None`` for no limit.
    hidden_layer_sizes : str or None
        A custom architecture (``"64x2-32"``) instead of the paper's depths.
    seed : int
        Seed of every network and baseline, and of the train/test split.
    device : str
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    verbose : int
        ``1`` prints skorch's per-epoch table instead of the progress bar.
    progress : bool
        Show a progress bar over the epochs of each fit.
    pretrained : str or None
        A model to fine-tune the networks from.
    validation : str or None
        Where the networks early-stop, for the record (e.g. the validation file's name);
        ``None``: a random 10 % of the training rows (the estimators' own split).

    Examples
    --------
    >>> settings = TrainingSettings("large-batch", max_epochs=5)
    >>> settings.training_params()["batch_size"], settings.training_params()["max_epochs"]
    (1024, 5)
    """

    recipe: str = "paper"
    lr: float | None = None
    batch_size: int | None = None
    max_epochs: int | None = None
    patience: int | None = None
    time_budget: float | None = None
    hidden_layer_sizes: str | None = None
    seed: int = 0
    device: str = "auto"
    verbose: int = 0
    progress: bool = True
    pretrained: str | None = None
    validation: str | None = None

    def overrides(self) -> dict[str, Any]:
        """The recipe values this run overrides.

        Returns
        -------
        dict
            Parameter -> value, for those of lr, batch_size, max_epochs and patience
            that are set.
        """
        return {k: getattr(self, k) for k in _OVERRIDABLE if getattr(self, k) is not None}

    def training_params(self) -> dict[str, Any]:
        """The recipe's estimator parameters with the overrides applied.

        Returns
        -------
        dict
            Optimiser, lr, batch_size, schedule, weight decay, max_epochs and patience.
        """
        return {**recipe_params(self.recipe), **self.overrides()}

    def net_params(self) -> dict[str, Any]:
        """Every constructor parameter these settings give a network (besides depth).

        Returns
        -------
        dict
            :meth:`training_params` plus hidden_layer_sizes, device, random_state and
            verbose.
        """
        return {
            **self.training_params(),
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "device": self.device,
            "random_state": self.seed,
            "verbose": self.verbose,
            "pretrained": self.pretrained,
        }

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict: the recipe's name and every value.

        Returns
        -------
        dict
        """
        return {
            "recipe": self.recipe,
            **self.training_params(),
            "overridden": sorted(self.overrides()),
            "time_budget": self.time_budget,
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "seed": self.seed,
            "device": self.device,
            "verbose": self.verbose,
            "progress": self.progress,
            "pretrained": self.pretrained,
            "validation": self.validation,
        }

    def describe(self) -> str:
        """One line naming the recipe and every value, for printing.

        Returns
        -------
        str
        """
        params = self.training_params()
        overridden = self.overrides()
        values = ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
        )
        note = f" (not the recipe's: {', '.join(overridden)})" if overridden else ""
        arch = f", hidden_layer_sizes={self.hidden_layer_sizes}" if self.hidden_layer_sizes else ""
        budget = f", time budget {self.time_budget:g} s per net" if self.time_budget else ""
        source = f", fine-tuned from {self.pretrained}" if self.pretrained else ""
        stopping = self.validation or "a 10% validation split"
        return (
            f"recipe {self.recipe}: {values}{note}; early stopping on {stopping}"
            f"{arch}{budget}{source}, seed={self.seed}"
        )


def make_net(
    name: str,
    depth: int = 17,
    settings: TrainingSettings | None = None,
    label: str = "",
    callbacks: Sequence[Any] = (),
) -> Pipeline:
    """Build ``Pipeline([("scale", StandardScaler()), ("clip", ...), ("net", <network>)])``.

    The ``clip`` step clips the standardised features to ``[-FEATURE_CLIP, FEATURE_CLIP]``.

    Parameters
    ----------
    name : str
        Network type: ``"irnet"``, ``"srnet"``, ``"plain"`` or a label such as ``"IRNet"``
        (see ``skirnet.estimators.network_name``).
    depth : int, default=17
        One of the paper's depths (ignored with ``settings.hidden_layer_sizes``).
    settings : TrainingSettings, optional
        Recipe, overrides, seed and so on (default: the paper's recipe).
    label : str, optional
        Name shown on the progress bar.
    callbacks : sequence of skorch callbacks, optional
        Extra callbacks of the network, after the time budget and the progress bar.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The unfitted pipeline.

    Examples
    --------
    >>> pipe = make_net("IRNet", 10, TrainingSettings("large-batch", progress=False))
    >>> [step for step, _ in pipe.steps], pipe.named_steps["net"].batch_size
    (['scale', 'clip', 'net'], 1024)
    """
    settings = settings or TrainingSettings()
    extra: list[Any] = []
    if settings.time_budget:
        extra.append(TimeBudget(settings.time_budget))
    if settings.progress and not settings.verbose:
        extra.append(EpochProgress(label or name))
    extra.extend(callbacks)
    net = NETWORKS[network_name(name)](depth, callbacks=extra or None, **settings.net_params())
    if settings.pretrained is None:
        scaler = StandardScaler()
    else:
        scaler = source_scaler(settings.pretrained)
    return Pipeline([("scale", scaler), ("clip", feature_clipper()), ("net", net)])


def source_scaler(pretrained: str | Path) -> Any:
    """The standardisation a pretrained network was trained behind, frozen; else a new one.

    A shipped model (or a folder from ``skirnet train``) carries its scaler: fine-tuning
    behind the same one gives the network the inputs it knows. A bare network folder
    (:func:`skirnet.save`) has none: a :class:`~sklearn.preprocessing.StandardScaler` is
    fitted to the new data then.

    Parameters
    ----------
    pretrained : str or Path
        A shipped model's name or a model folder.

    Returns
    -------
    sklearn.frozen.FrozenEstimator or StandardScaler

    Examples
    --------
    >>> from skirnet.pipeline import source_scaler
    >>> source_scaler("oqmd-formation-enthalpy").estimator.n_features_in_
    231
    """
    from sklearn.frozen import FrozenEstimator

    folder = resolve(pretrained)
    if not (folder / PIPELINE_FILE).is_file():
        return StandardScaler()
    # FrozenEstimator: fit does nothing and clone returns it as it is (grid searches too)
    return FrozenEstimator(
        scaler_from_spec(read_spec(folder / PIPELINE_FILE), folder / PIPELINE_FILE)
    )


def make_formula_pipeline(
    name: str,
    depth: int = 17,
    settings: TrainingSettings | None = None,
    callbacks: Sequence[Any] = (),
    featurizer: BaseFeaturizer | None = None,
) -> Pipeline:
    """:func:`make_net` with a :class:`~skirnet.featurizers.CompositionFeaturizer` in front.

    Parameters
    ----------
    name : str
        Network type, as for :func:`make_net`.
    depth : int, default=17
        One of the paper's depths (ignored with ``settings.hidden_layer_sizes``).
    settings : TrainingSettings, optional
        Training settings (default: the paper's recipe).
    callbacks : sequence of skorch callbacks, optional
        Extra callbacks of the network.
    featurizer : BaseFeaturizer, optional
        Another first step, e.g. a :class:`~skirnet.featurizers.StructureFeaturizer`
        (see :func:`~skirnet.featurizers.featurizer_for`).

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``featurize`` / ``scale`` / ``clip`` / ``net``, unfitted; it fits on formulas
        (or on what ``featurizer`` takes).

    Examples
    --------
    >>> [step for step, _ in make_formula_pipeline("plain").steps]
    ['featurize', 'scale', 'clip', 'net']
    """
    settings = settings or TrainingSettings()
    net_pipe = make_net(name, depth, settings, label=name, callbacks=callbacks)
    featurizer = CompositionFeaturizer() if featurizer is None else clone(featurizer)
    featurizer.set_params(progress_bar=None if settings.progress else False)
    return Pipeline([("featurize", featurizer), *net_pipe.steps])


def input_kind(pipe: Pipeline) -> str:
    """What a pipeline of this module predicts from: formulas or crystal structures.

    Parameters
    ----------
    pipe : sklearn.pipeline.Pipeline
        A ``featurize`` / ... / ``net`` pipeline (:func:`make_formula_pipeline`,
        :func:`load_pipeline`, a pretrained model).

    Returns
    -------
    {"formula", "structure"}
        ``"structure"`` behind a :class:`~skirnet.featurizers.StructureFeaturizer`, else
        ``"formula"``; the ``kind`` of :class:`skirnet.user_data.UserData` it takes.

    Examples
    --------
    >>> from skirnet.featurizers import StructureFeaturizer
    >>> input_kind(make_formula_pipeline("irnet")), input_kind(
    ...     make_formula_pipeline("irnet", featurizer=StructureFeaturizer()))
    ('formula', 'structure')
    """
    return "structure" if isinstance(pipe.steps[0][1], StructureFeaturizer) else "formula"


def fit_with_validation(
    model: Any, X: Any, y: Any, validation: tuple[Any, Any] | None = None
) -> Any:
    """Fit ``model``; a network in it early-stops on ``validation`` (a fixed split).

    ``model`` is a skirnet network, a Pipeline whose last step is one, or any other
    regressor. The validation rows go through the pipeline's fitted steps before the
    network sees them, exactly as rows to predict would. A model without a network is
    fitted on ``X, y`` alone: the validation rows are never trained on.

    Parameters
    ----------
    model : estimator
        The model to fit (in place).
    X, y : array-like
        Training rows.
    validation : tuple (X_val, y_val), optional
        A fixed validation split, such as a dataset's published one; ``None`` leaves the
        network to hold out its ``validation_fraction`` of ``X``.

    Returns
    -------
    model : estimator
        The fitted model.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(80, 3)), rng.normal(size=80)
    >>> settings = TrainingSettings(max_epochs=3, hidden_layer_sizes="8", progress=False)
    >>> pipe = fit_with_validation(make_net("irnet", settings=settings), X[:60], y[:60],
    ...                            (X[60:], y[60:]))
    >>> len(pipe.named_steps["net"].history_), pipe.named_steps["net"].best_epoch_ is not None
    (3, True)
    """
    if validation is None:
        return model.fit(X, y)
    net = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(net, ResidualNetRegressor):
        return model.fit(X, y)
    X_val, y_val = validation
    if net is model:
        return model.fit(X, y, validation_data=(X_val, y_val))
    front = model[:-1]  # the same step objects: fitting them fits the pipeline's
    X_front = front.fit_transform(X, y)
    net.fit(X_front, y, validation_data=(front.transform(X_val), y_val))
    return model


def fit_featurized(
    pipe: Pipeline,
    inputs: Sequence[Any],
    X: Any,
    y: Any,
    validation: tuple[Any, Any] | None = None,
) -> Pipeline:
    """Fit a ``featurize`` / ``scale`` / ``clip`` / ``net`` pipeline on its inputs' features.

    Featurizing can be the slow part (structures), and a caller that needs the features
    anyway (to drop the rows that cannot be featurized, to score the training rows, to
    calibrate intervals) computes them once: the featurizer only learns the layout of
    ``inputs`` (it is fitted, not run), and the steps after it are fitted on ``X`` by
    :func:`fit_with_validation`, the network early-stopping on ``validation`` when given.

    Parameters
    ----------
    pipe : sklearn.pipeline.Pipeline
        An unfitted pipeline of :func:`make_formula_pipeline` (featurizer first, network
        last); fitted in place.
    inputs : sequence
        The training rows' formulas or structures, as the featurizer takes them.
    X : array-like of shape (n_rows, n_features)
        Their features, as ``pipe``'s featurizer computes them, one row per input.
    y : array-like of shape (n_rows,)
        Target.
    validation : tuple (X_val, y_val), optional
        Featurized validation rows that the network early-stops on; ``None`` leaves the
        network to hold out its ``validation_fraction`` of ``X``.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``pipe``, fitted; it predicts from inputs like ``inputs``.

    Raises
    ------
    KeyboardInterrupt
        Training was interrupted (Ctrl-C); the pipeline is not returned half-trained.

    Examples
    --------
    >>> from skirnet.datasets import load_oqmd_sample
    >>> from skirnet.featurizers import CompositionFeaturizer
    >>> formulas, y = load_oqmd_sample(return_X_y=True)
    >>> formulas, y = list(formulas[:60]), y[:60]
    >>> X = CompositionFeaturizer(progress_bar=False).fit_transform(formulas)
    >>> settings = TrainingSettings(max_epochs=2, hidden_layer_sizes="8", progress=False)
    >>> pipe = fit_featurized(make_formula_pipeline("irnet", settings=settings),
    ...                       formulas[:50], X[:50], y[:50], validation=(X[50:], y[50:]))
    >>> pipe.predict(["NaCl"]).shape, len(pipe.named_steps["net"].history_)
    ((1,), 2)
    """
    pipe.steps[0][1].fit(inputs)  # a featurizer learns only the inputs' layout
    fit_with_validation(pipe[1:], X, y, validation)
    if getattr(pipe.named_steps["net"], "interrupted_", False):
        raise KeyboardInterrupt
    return pipe


def train_pipeline(
    formulas: Sequence[Any], y: Any, name: str, depth: int, settings: TrainingSettings
) -> Pipeline:
    """Fit ``Pipeline([("featurize", ...), ("scale", ...), ("clip", ...), ("net", ...)])``.

    Parameters
    ----------
    formulas : sequence of str
        Chemical formulas.
    y : array-like of shape (n,)
        Target.
    name : str
        Network type, as for :func:`make_net`.
    depth : int
        One of the paper's depths (ignored with ``settings.hidden_layer_sizes``).
    settings : TrainingSettings
        Training settings.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The fitted pipeline; it predicts from formulas.

    Raises
    ------
    KeyboardInterrupt
        Training was interrupted (Ctrl-C); the pipeline is not returned half-trained.

    Examples
    --------
    >>> from skirnet.datasets import load_oqmd_sample
    >>> formulas, y = load_oqmd_sample(return_X_y=True)
    >>> settings = TrainingSettings(max_epochs=1, hidden_layer_sizes="8", progress=False)
    >>> pipe = train_pipeline(formulas[:50], y[:50], "irnet", 17, settings)
    >>> pipe.predict(["NaCl"]).shape
    (1,)
    """
    pipe = make_formula_pipeline(name, depth, settings)
    pipe.fit(list(formulas), np.asarray(y, dtype=np.float64))
    if getattr(pipe.named_steps["net"], "interrupted_", False):
        raise KeyboardInterrupt
    return pipe


def save_pipeline(
    pipe: Pipeline,
    out_dir: str | Path,
    *,
    formula_col: str | None = None,
    structure_col: str | None = None,
    target_col: str | None = None,
    settings: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
    calibration: dict[str, Any] | None = None,
    **save_options: Any,
) -> Path:
    """Save a :func:`train_pipeline` pipeline without pickle.

    The network goes through :func:`skirnet.save` into ``out_dir/net`` (safetensors +
    JSON); the featurizer's ``get_params()``, the scaler's statistics (``mean_``,
    ``scale_``, ``var_``, ``n_samples_seen_``), torch's thread count and the SHA-256 of
    ``net/skirnet.json`` go into ``out_dir/pipeline.json``. The folder is written aside
    and swapped in whole: a failure or an interruption leaves the previous model in
    ``out_dir`` as it was, and a process loading it meanwhile gets the old model or the
    new one, whole.

    Parameters
    ----------
    pipe : sklearn.pipeline.Pipeline
        Fitted ``featurize`` / ``scale`` / ``clip`` / ``net`` pipeline.
    out_dir : str or Path
        Folder to write (created if needed).
    formula_col, structure_col, target_col : str, optional
        Columns of the training table (``skirnet predict`` looks for the formula or
        structure column by this name first).
    settings : dict, optional
        The training settings (:meth:`TrainingSettings.as_dict`).
    info : dict, optional
        Any other JSON-ready description.
    calibration : dict, optional
        A split-conformal calibration of the pipeline, written to
        ``conformal.json`` beside ``pipeline.json`` (which records its SHA-256):
        ``{"conformal": ConformalRegressor.to_dict(), ...}`` with what you want recorded
        about the calibration rows. Without it, a calibration saved there before is
        removed with the old model (it belongs to the old weights).
    **save_options
        Passed to :func:`skirnet.save` (``weights_dtype``, ``optimizer_state``).

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from skirnet.datasets import load_oqmd_sample
    >>> formulas, y = load_oqmd_sample(return_X_y=True)
    >>> settings = TrainingSettings(max_epochs=1, hidden_layer_sizes="8", progress=False)
    >>> pipe = train_pipeline(formulas[:50], y[:50], "irnet", 17, settings)
    >>> folder = save_pipeline(pipe, tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['net', 'pipeline.json']
    """
    featurizer = pipe.named_steps["featurize"]
    scaler = pipe.named_steps["scale"]
    net = pipe.named_steps["net"]
    out = Path(out_dir)
    params = featurizer.get_params()
    params["progress"] = params["progress_bar"] = None
    if "memory" in params:  # a cache folder is this machine's, not part of the model
        params["memory"] = None
    spec = {
        "format": PIPELINE_FORMAT,
        "skirnet_version": __version__,
        "steps": ["featurize", "scale", "clip", "net"],
        "clip": FEATURE_CLIP,
        "featurizer": {"class": type(featurizer).__name__, "params": params},
        "feature_names": [str(f) for f in featurizer.get_feature_names_out()],
        "scaler": {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "var": scaler.var_.tolist(),
            "n_samples_seen": int(scaler.n_samples_seen_),
        },
        "net_dir": "net",
        "formula_col": formula_col,
        "structure_col": structure_col,
        "target_col": target_col,
        "settings": settings,
        "torch_threads": torch.get_num_threads(),
        "info": info,
    }
    if calibration is not None and not isinstance(calibration.get("conformal"), dict):
        raise ValueError("calibration must hold a 'conformal' dictionary (to_dict())")

    def write(folder: Path) -> None:
        save(_without_callbacks(net), folder / "net", **save_options)
        # the folder is still private: what is read back is what readers will read
        config = (folder / "net" / CONFIG_FILE).read_bytes()
        spec["net_sha256"] = hashlib.sha256(config).hexdigest()
        if calibration is not None:
            text = (json.dumps(calibration) + "\n").encode()
            (folder / CALIBRATION_FILE).write_bytes(text)
            # ties the calibration to this save: read_calibration checks it
            spec[CALIBRATION_SHA256] = hashlib.sha256(text).hexdigest()
        (folder / PIPELINE_FILE).write_text(json.dumps(spec, indent=2) + "\n")

    return replace_folder(out, write, {PIPELINE_FILE, "net", CALIBRATION_FILE})


def _without_callbacks(net: ResidualNetRegressor) -> ResidualNetRegressor:
    """The fitted net with ``callbacks=None`` (progress bars are not worth saving)."""
    if not net.callbacks:
        return net
    saved = copy.copy(net)
    saved.callbacks = None
    return saved


def read_spec(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """``pipeline.json`` (read from ``path``, or its bytes ``data``), checked key by key.

    Errors name the file.
    """
    try:
        spec = json.loads(path.read_bytes() if data is None else data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PipelineFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(spec, dict):
        raise PipelineFileError(
            f"{path}: expected a JSON object, found {type(spec).__name__} "
            "(was it written by 'skirnet train'?)"
        )
    if spec.get("format") != PIPELINE_FORMAT:
        raise PipelineFileError(
            f"{path}: format {spec.get('format')!r}; this skirnet reads {PIPELINE_FORMAT}"
        )
    missing = sorted(_REQUIRED_KEYS - set(spec))
    unknown = sorted(set(spec) - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if missing or unknown:
        problems = [f"missing key(s) {missing}"] if missing else []
        problems += [f"unknown key(s) {unknown}"] if unknown else []
        raise PipelineFileError(f"{path}: {'; '.join(problems)}")
    return spec


def _featurizer(spec: dict[str, Any], path: Path) -> BaseFeaturizer:
    entry = spec["featurizer"]
    if not isinstance(entry, dict) or set(entry) != {"class", "params"}:
        raise PipelineFileError(f"{path}: 'featurizer' must be an object with class and params")
    classes = {
        "CompositionFeaturizer": CompositionFeaturizer,
        "StructureFeaturizer": StructureFeaturizer,
    }
    if entry["class"] not in classes:
        raise PipelineFileError(f"{path}: unsupported featurizer {entry['class']!r}")
    cls, params = classes[entry["class"]], entry["params"]
    if not isinstance(params, dict):
        raise PipelineFileError(f"{path}: featurizer params must be an object")
    known = cls().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise PipelineFileError(
            f"{path}: unknown {cls.__name__} parameter(s) {unknown}; it takes {sorted(known)}"
        )
    if params.get("memory") is not None:  # a cache folder is not part of a model
        raise PipelineFileError(f"{path}: featurizer params: memory must be null")
    try:
        featurizer = cls(**params).fit(None)
        featurizer.n_features_in_ = 1  # fitted on one column of inputs, as when trained
        return featurizer
    except (TypeError, ValueError) as exc:
        raise PipelineFileError(f"{path}: featurizer params: {exc}") from None


def scaler_from_spec(spec: dict[str, Any], path: Path) -> StandardScaler:
    entry = spec["scaler"]
    keys = {"mean", "scale", "var", "n_samples_seen"}
    if not isinstance(entry, dict) or set(entry) != keys:
        raise PipelineFileError(f"{path}: 'scaler' must be an object with keys {sorted(keys)}")
    scaler = StandardScaler()
    try:
        arrays = [np.asarray(entry[k], dtype=np.float64) for k in ("mean", "scale", "var")]
        n_seen = int(entry["n_samples_seen"])
    except (TypeError, ValueError) as exc:
        raise PipelineFileError(f"{path}: scaler statistics: {exc}") from None
    if any(a.ndim != 1 or a.shape != arrays[0].shape for a in arrays):
        raise PipelineFileError(f"{path}: scaler mean, scale and var must be equally long lists")
    scaler.mean_, scaler.scale_, scaler.var_ = arrays
    scaler.n_samples_seen_ = n_seen
    scaler.n_features_in_ = len(scaler.mean_)
    return scaler


def _net_folder(model_dir: Path, spec: dict[str, Any]) -> Path:
    """The network's folder that ``pipeline.json`` names (``net``)."""
    if not isinstance(spec["net_dir"], str):
        raise PipelineFileError(f"{model_dir / PIPELINE_FILE}: 'net_dir' must be a folder name")
    return model_dir / spec["net_dir"]


@contextlib.contextmanager
def _network_errors(folder: Path) -> Iterator[None]:
    """Every failure to read the network in ``folder`` as one message naming the folder."""
    try:
        yield
    except (ValueError, FileNotFoundError) as exc:
        if str(folder) in str(exc):
            raise
        raise PipelineFileError(f"{folder}: {exc}") from None
    except (KeyError, TypeError, AttributeError, RuntimeError, OSError) as exc:
        reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise PipelineFileError(f"{folder}: not a loadable network ({reason})") from None


def _read_pipeline(model_dir: Path) -> tuple[bytes, dict[str, bytes]]:
    """The bytes of ``pipeline.json`` and of the network's files, each read once."""
    path = model_dir / PIPELINE_FILE
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        if not model_dir.is_dir():
            raise FileNotFoundError(f"no such model folder: {model_dir}") from None
        raise FileNotFoundError(
            f"{model_dir} has no {PIPELINE_FILE}; was it written by 'skirnet train'?"
        ) from None
    folder = _net_folder(model_dir, read_spec(path, data))
    with _network_errors(folder):
        return data, read_files(folder)


def _unmatched_pipeline(
    model_dir: Path, files: tuple[bytes, dict[str, bytes]]
) -> Exception | None:
    """The error for a network file that is not the one ``pipeline.json`` was saved with.

    None when the chain of checksums holds (or ``pipeline.json`` records none: written
    before it did). Files that are wrong on their own raise their error first.
    """
    data, net_files = files
    path = model_dir / PIPELINE_FILE
    spec = read_spec(path, data)
    folder = _net_folder(model_dir, spec)
    with _network_errors(folder):
        net_error = mismatch(folder, net_files)
    recorded = spec.get("net_sha256")
    digest = hashlib.sha256(net_files[CONFIG_FILE]).hexdigest()
    if recorded is not None and digest != recorded:
        return PipelineFileError(
            f"{folder / CONFIG_FILE}: SHA-256 {digest[:12]}... does not match the "
            f"{str(recorded)[:12]}... recorded in {path}; the network is not the one saved "
            f"with this {PIPELINE_FILE} (saved over, copied or edited since)"
        )
    return net_error


def load_pipeline(model_dir: str | Path) -> tuple[Pipeline, dict[str, Any]]:
    """Rebuild a pipeline saved by :func:`save_pipeline`, without unpickling anything.

    Parameters
    ----------
    model_dir : str or Path
        Folder written by :func:`save_pipeline` (``skirnet train``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``featurize`` / ``scale`` / ``clip`` / ``net``, ready to ``predict`` formulas.
    spec : dict
        The saved ``pipeline.json``.

    Raises
    ------
    FileNotFoundError
        The folder or its ``pipeline.json`` is missing.
    PipelineFileError
        A file of the folder is damaged, incomplete or of another format, or the network
        is not the one saved with ``pipeline.json`` (its SHA-256 chain differs); the
        one-line message names the file. A save over the folder while it is read is
        waited out: the pipeline returned is one save's, whole.

    Examples
    --------
    >>> load_pipeline("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: no such model folder: no/such/folder
    """
    model_dir = Path(model_dir)
    path = model_dir / PIPELINE_FILE
    data, net_files = read_whole(
        model_dir,
        lambda: _read_pipeline(model_dir),
        lambda files: _unmatched_pipeline(model_dir, files),
    )
    spec = read_spec(path, data)
    featurizer = _featurizer(spec, path)
    scaler = scaler_from_spec(spec, path)
    if scaler.n_features_in_ != featurizer.n_features_out_:
        raise PipelineFileError(
            f"{path}: the scaler has {scaler.n_features_in_} features but the featurizer "
            f"gives {featurizer.n_features_out_}"
        )
    clip = spec.get("clip")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, int | float)):
        raise PipelineFileError(f"{path}: 'clip' must be a number or null, got {clip!r}")
    folder = _net_folder(model_dir, spec)
    with _network_errors(folder):
        net = load_from_files(folder, net_files, None)
    if net.n_features_in_ != scaler.n_features_in_:
        raise PipelineFileError(
            f"{path}: the scaler has {scaler.n_features_in_} features but the network in "
            f"{folder} takes {net.n_features_in_}"
        )
    steps: list[tuple[str, Any]] = [("featurize", featurizer), ("scale", scaler)]
    if clip is not None:
        steps.append(("clip", feature_clipper(float(clip))))
    return Pipeline([*steps, ("net", net)]), spec


#: How many times a model and its calibration are read before a save over the folder that
#: keeps landing between the two reads is reported.
_CALIBRATED_READS = 5


def load_pipeline_with_calibration(
    model_dir: str | Path,
) -> tuple[Pipeline, dict[str, Any], ConformalRegressor | None]:
    """:func:`load_pipeline` and the calibration saved with that very pipeline.

    The model and its calibration (``conformal.json``) are two reads. The calibration is
    checked against the SHA-256 recorded in the ``pipeline.json`` loaded with the model, so
    a save over the folder between the two reads is never taken for this model's: the
    model is then read again, with its own calibration.

    Parameters
    ----------
    model_dir : str or Path
        Folder written by :func:`save_pipeline`, or a shipped model's folder.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        As :func:`load_pipeline` gives it.
    spec : dict
        The saved ``pipeline.json``.
    conformal : skirnet.ConformalRegressor or None
        The stored calibration wrapping ``pipeline``; None when the folder holds none.

    Raises
    ------
    FileNotFoundError, PipelineFileError
        As :func:`load_pipeline`.
    ModelFileError
        The calibration is damaged, or not the one saved with the model (after
        ``5`` reads of both, which rules out a save landing in between).

    Examples
    --------
    >>> from skirnet.pretrained import resolve
    >>> pipe, spec, conformal = load_pipeline_with_calibration(resolve("oqmd-band-gap"))
    >>> type(conformal).__name__
    'ConformalRegressor'
    """
    for _ in range(_CALIBRATED_READS - 1):
        pipe, spec = load_pipeline(model_dir)
        try:
            return (
                pipe,
                spec,
                load_calibration(model_dir, pipe, sha256=spec.get(CALIBRATION_SHA256)),
            )
        except ModelFileError:
            pass  # saved over between the two reads, or damaged: read both again
    pipe, spec = load_pipeline(model_dir)  # the last read reports what is still wrong
    return pipe, spec, load_calibration(model_dir, pipe, sha256=spec.get(CALIBRATION_SHA256))
