"""Save and load fitted networks without pickle: safetensors weights plus a JSON file.

A saved model is a folder::

    model/
      weights.safetensors     the module's tensors (loadable with torch's weights_only rules)
      optimizer.safetensors   the optimiser's state tensors (Adam's moments and step counts)
      skirnet.json            estimator class, parameters, fitted attributes, optimiser
                              settings, training history and the versions of the packages
                              that made it

Loading never unpickles anything, so a model file from elsewhere cannot run code, and a
model trained on CUDA loads on a CPU-only machine. The tensor shapes are checked against the
architecture the JSON describes before any memory is allocated for it. The optimiser state
and the random stream that shuffles later epochs are kept too, so ``warm_start=True`` (or
``partial_fit``) on a loaded model continues training exactly as the saved estimator would
have. Folders written before the optimiser was saved still load; they continue with a fresh
optimiser.

Saving over a model that another process loads (see ``skirnet._atomic``): the folder is
written aside and swapped in whole, so a failed save leaves the previous model intact and,
on Linux, the folder never goes missing. ``skirnet.json`` is the folder's manifest: it
records the SHA-256 of the weights and of the optimiser state. :func:`load` reads each file
once, checks those bytes against it and uses the same bytes (never a second read, which a
save could have changed), and reads the folder again while a save in progress makes the
files disagree; files that keep disagreeing are reported as damaged, naming the file.
Folders written before the optimiser state's SHA-256 was recorded load as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import sklearn
import skorch
import torch
from skorch.history import History

from skirnet._atomic import read_whole, replace_folder
from skirnet._network_file import (
    CONFIG_FILE,
    FORMAT_VERSION,
    OPTIMIZER_FILE,
    WEIGHTS_FILE,
    ModelFileError,
    architecture_of,
    checked_weights,
    first_line,
    kind_of,
    read_config,
    read_files,
    target_scale,
    unmatched,
)
from skirnet._version import __version__
from skirnet.estimators import NETWORKS, ResidualNetRegressor
from skirnet.nn import uncompiled

__all__ = ["ModelFileError", "load", "save"]

_FILES = (WEIGHTS_FILE, OPTIMIZER_FILE, CONFIG_FILE)
_WEIGHT_DTYPES = {"float32": torch.float32, "float16": torch.float16}


def _json_params(estimator: ResidualNetRegressor) -> dict[str, Any]:
    # numpy scalars (np.int64(3), np.float32(1e-3), ...) become plain Python numbers
    params = {
        k: v.item() if isinstance(v, np.generic) else v for k, v in estimator.get_params().items()
    }
    if params["callbacks"]:
        warnings.warn(
            "Custom callbacks are not saved; the loaded model has callbacks=None.",
            UserWarning,
            stacklevel=3,
        )
        params["callbacks"] = None
    if isinstance(params.get("pretrained"), os.PathLike):
        params["pretrained"] = os.fspath(params["pretrained"])
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        warnings.warn(
            "random_state is a RandomState instance, which is not saved; the loaded model "
            "has random_state=None.",
            UserWarning,
            stacklevel=3,
        )
        params["random_state"] = None
    sizes = params["hidden_layer_sizes"]
    if sizes is not None and not isinstance(sizes, str):
        # JSON has only lists: remember whether the user gave a list or another sequence
        params["hidden_layer_sizes"] = {
            "widths": [int(w) for w in sizes],
            "type": "list" if isinstance(sizes, list) else "tuple",
        }
    return params


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list]:
    """The optimiser's state as flat ``"<param index>.<name>"`` tensors, and its groups."""
    state_dict = optimizer.state_dict()
    tensors = {
        f"{index}.{name}": value.detach().cpu().contiguous()
        for index, state in state_dict["state"].items()
        for name, value in state.items()
        if isinstance(value, torch.Tensor)
    }
    return tensors, state_dict["param_groups"]


def _restore_optimizer(
    optimizer: torch.optim.Optimizer, path: Path, data: bytes, groups: list
) -> None:
    """Load the optimiser state ``data`` read from the file ``path`` into ``optimizer``."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state: dict[int, dict[str, torch.Tensor]] = {}
    try:
        tensors = safetensors.torch.load(data)
    except safetensors.SafetensorError as exc:
        raise ModelFileError(f"{path}: damaged optimiser state ({first_line(exc)})") from None
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        index = int(index)
        if index >= len(params) or (value.dim() > 0 and value.shape != params[index].shape):
            raise ModelFileError(
                f"{path} does not belong to this model: its optimiser state {key!r} has "
                f"shape {tuple(value.shape)}, which matches no parameter of the network."
            )
        state.setdefault(index, {})[name] = value
    try:
        # moves the moments to the parameters' device and dtype
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except ValueError as exc:
        raise ModelFileError(f"{path} does not belong to this model: {exc}") from exc


def _json_scalar(value: Any) -> Any:
    """numpy and torch scalars (e.g. in a custom callback's history entries) as numbers."""
    if isinstance(value, np.generic) or (isinstance(value, torch.Tensor) and value.numel() == 1):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _epoch_records(history: History) -> list[dict[str, Any]]:
    """Per-epoch history without the per-batch lists (they can be millions of entries)."""
    return [{k: v for k, v in row.items() if k != "batches"} for row in history]


def save(
    estimator: ResidualNetRegressor,
    path: str | Path,
    *,
    weights_dtype: str = "float32",
    optimizer_state: bool = True,
) -> Path:
    """Save a fitted IRNet/SRNet/PlainNet regressor to the folder ``path``.

    The folder is written aside and renamed into place: if anything fails (a full disk,
    Ctrl-C), ``path`` still holds the model that was there before, whole.

    Parameters
    ----------
    estimator : IRNetRegressor, SRNetRegressor or PlainNetRegressor
        A fitted estimator.
    path : str or Path
        Folder to write: new, empty, or holding a model saved before (which is
        replaced). A folder holding other files is refused.
    weights_dtype : {"float32", "float16"}, default="float32"
        Storage type of the weights. ``"float16"`` halves the file (the network is
        float32 again once loaded; predictions move by the rounding of the weights).
    optimizer_state : bool, default=True
        Keep the optimiser's state, so that a loaded model continues training exactly.
        ``False`` writes a model for prediction only (continued training starts a fresh
        optimiser).

    Returns
    -------
    path : Path
        The folder written.

    Raises
    ------
    FileExistsError
        ``path`` is a file, or a folder holding files other than a saved model's.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from skirnet import IRNetRegressor, save, load
    >>> X = np.random.RandomState(0).normal(size=(50, 4)); y = X.sum(axis=1)
    >>> model = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=2, random_state=0).fit(X, y)
    >>> folder = save(model, tempfile.mkdtemp())
    >>> bool(np.array_equal(load(folder).predict(X), model.predict(X)))
    True
    """
    if not isinstance(estimator, ResidualNetRegressor):
        raise TypeError(
            f"save() takes a skirnet network regressor, got {type(estimator).__name__}; "
            "use joblib.dump for other estimators."
        )
    if not hasattr(estimator, "net_"):
        raise ValueError("The estimator is not fitted yet; call fit before save.")
    if weights_dtype not in _WEIGHT_DTYPES:
        raise ValueError(
            f"weights_dtype must be one of {sorted(_WEIGHT_DTYPES)}, got {weights_dtype!r}."
        )
    dtype = _WEIGHT_DTYPES[weights_dtype]
    state = {
        k: v.detach().cpu().to(dtype if v.is_floating_point() else v.dtype).contiguous()
        for k, v in uncompiled(estimator.module_).state_dict().items()
    }
    weights = safetensors.torch.save(state)
    fitted = estimator.fitted_state()
    config = {
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "params": _json_params(estimator),
        "fitted": fitted,
        "weights": {"sha256": hashlib.sha256(weights).hexdigest(), "dtype": weights_dtype},
        "history": _epoch_records(estimator.history_),
        "versions": {
            "skirnet": __version__,
            "torch": torch.__version__,
            "skorch": skorch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
    optimizer = b""
    if optimizer_state:
        optimizer_tensors, optimizer_groups = _optimizer_tensors(estimator.net_.optimizer_)
        optimizer = safetensors.torch.save(optimizer_tensors)
        config["optimizer"] = {
            "param_groups": optimizer_groups,
            "sha256": hashlib.sha256(optimizer).hexdigest(),
        }
    # serialise everything before touching the disk
    config_text = json.dumps(config, indent=2, default=_json_scalar)

    def write(folder: Path) -> None:
        (folder / WEIGHTS_FILE).write_bytes(weights)
        if optimizer_state:
            (folder / OPTIMIZER_FILE).write_bytes(optimizer)
        (folder / CONFIG_FILE).write_text(config_text)

    return replace_folder(path, write, _FILES)


def _estimator_from(config: dict[str, Any], file: Path) -> ResidualNetRegressor:
    """The unfitted estimator the JSON describes, its parameters validated."""
    cls = NETWORKS[kind_of(config, file.parent).name]
    params = dict(config["params"])
    # written before targets were standardised: its network predicts the raw target
    params.setdefault("standardize_target", False)
    try:
        sizes = params.get("hidden_layer_sizes")
        if isinstance(sizes, dict):
            kind = list if sizes.get("type") == "list" else tuple
            params["hidden_layer_sizes"] = kind(sizes["widths"])
        elif isinstance(sizes, list):  # written before the container type was recorded
            params["hidden_layer_sizes"] = tuple(sizes)
        estimator = cls(**params).check_params()
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{file}: params: {first_line(exc)}") from None
    return estimator


def _parse(path: Path, files: dict[str, bytes]) -> tuple[dict[str, Any], ResidualNetRegressor]:
    """``skirnet.json`` of :func:`read_files`'s ``files`` and the estimator it describes.

    Both are checked on their own (not yet against the other files); errors name the file.
    """
    config = read_config(path, files[CONFIG_FILE])
    return config, _estimator_from(config, path / CONFIG_FILE)


def mismatch(path: Path, files: dict[str, bytes]) -> Exception | None:
    """The error for files of ``path`` that do not belong together (a save in progress).

    A file that is wrong on its own (``skirnet.json`` with parameters no estimator takes,
    say) raises its own error first, so a damaged folder is named as such rather than
    waited on as a save in progress.
    """
    _parse(path, files)
    return unmatched(path, files)


def load(path: str | Path, device: str | None = None) -> ResidualNetRegressor:
    """Load a model saved by :func:`save`.

    Parameters
    ----------
    path : str or Path
        Folder written by :func:`save`.
    device : str, default=None
        Device to put the network on. None uses the estimator's ``device`` parameter,
        falling back to the CPU when it asks for CUDA and none is available.

    Returns
    -------
    estimator : IRNetRegressor, SRNetRegressor or PlainNetRegressor
        The fitted estimator, ready to ``predict``.

    Raises
    ------
    FileNotFoundError
        ``path`` holds no saved model.
    ModelFileError
        A file of the folder is damaged, tampered with (the SHA-256 of the weights or of
        the optimiser state differs from the one recorded), of another format, or
        describes a network its weights do not fit. Shapes are checked before the
        network is allocated. A save over the folder while it is read is waited out.

    Examples
    --------
    >>> from skirnet import load
    >>> load("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: No skirnet model at no/such/folder (missing skirnet.json).
    """
    path = Path(path)
    files = read_whole(path, lambda: read_files(path), lambda files: mismatch(path, files))
    return load_from_files(path, files, device)


def load_from_files(
    path: Path, files: dict[str, bytes], device: str | None
) -> ResidualNetRegressor:
    """:func:`load` from the files :func:`read_files` read from ``path``, checked to match."""
    config, estimator = _parse(path, files)
    weights = checked_weights(path, config, files[WEIGHTS_FILE])
    mean, scale = target_scale(config, path)
    state = {
        **config["fitted"],
        "architecture_": [list(stack) for stack in architecture_of(config, path)],
        "target_mean_": mean.tolist(),
        "target_scale_": scale.tolist(),
    }
    estimator = type(estimator).from_fitted_state(
        estimator.get_params(), state, weights, history=config["history"], device=device
    )
    if "optimizer" in config and OPTIMIZER_FILE in files:
        _restore_optimizer(
            estimator.net_.optimizer_,
            path / OPTIMIZER_FILE,
            files[OPTIMIZER_FILE],
            config["optimizer"]["param_groups"],
        )
    return estimator
