"""Save and load fitted networks without pickle: safetensors weights plus a JSON file.

A saved model is a folder::

    model/
      weights.safetensors     the module's tensors (loadable with torch's weights_only rules)
      optimizer.safetensors   the optimiser's state tensors (Adam's moments and step counts)
      skirnet.json            estimator class, parameters, fitted attributes, optimiser
                              settings, training history and the versions of the packages
                              that made it

Loading never unpickles anything, so a model file from elsewhere cannot run code, and a
model trained on CUDA loads on a CPU-only machine. The optimiser state and the random
stream that shuffles later epochs are kept too, so ``warm_start=True`` (or ``partial_fit``)
on a loaded model continues training exactly as the saved estimator would have. Folders
written before the optimiser was saved still load; they continue with a fresh optimiser.
"""

from __future__ import annotations

import json
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

from skirnet._version import __version__
from skirnet.estimators import (
    IRNetRegressor,
    PlainNetRegressor,
    ResidualNetRegressor,
    SRNetRegressor,
)
from skirnet.training import resolve_device, resolve_precision

__all__ = ["load", "save"]

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
CONFIG_FILE = "skirnet.json"
_CLASSES = {cls.__name__: cls for cls in (IRNetRegressor, SRNetRegressor, PlainNetRegressor)}


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


def _plain_module(module: torch.nn.Module) -> torch.nn.Module:
    """The module itself, or the original one under a ``torch.compile`` wrapper.

    Weights are saved and loaded without the wrapper's ``_orig_mod.`` prefix, so a file
    written with ``compile=True`` loads into a plain :class:`~skirnet.nn.ResidualMLP`.
    """
    return getattr(module, "_orig_mod", module)


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


def _restore_optimizer(optimizer: torch.optim.Optimizer, path: Path, groups: list) -> None:
    params = [p for group in optimizer.param_groups for p in group["params"]]
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in safetensors.torch.load_file(str(path), device="cpu").items():
        index, name = key.split(".", 1)
        index = int(index)
        if index >= len(params) or (value.dim() > 0 and value.shape != params[index].shape):
            raise ValueError(
                f"{path} does not belong to this model: its optimiser state {key!r} has "
                f"shape {tuple(value.shape)}, which matches no parameter of the network."
            )
        state.setdefault(index, {})[name] = value
    try:
        # moves the moments to the parameters' device and dtype
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except ValueError as exc:
        raise ValueError(f"{path} does not belong to this model: {exc}") from exc


def _seed_stream(estimator: ResidualNetRegressor) -> dict[str, Any] | None:
    """The seed stream that shuffles continued training, as JSON."""
    seed_state = getattr(estimator, "_seed_state", None)
    if seed_state is None:
        return None
    base, stream = seed_state
    name, keys, pos, has_gauss, cached_gaussian = stream.get_state()
    return {"base": base, "state": [name, keys.tolist(), pos, has_gauss, cached_gaussian]}


def _restore_seed_stream(estimator: ResidualNetRegressor, saved: dict[str, Any]) -> None:
    name, keys, pos, has_gauss, cached_gaussian = saved["state"]
    stream = np.random.RandomState()
    stream.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached_gaussian))
    estimator._seed_state = (saved["base"], stream)


def _json_scalar(value: Any) -> Any:
    """numpy and torch scalars (e.g. in a custom callback's history entries) as numbers."""
    if isinstance(value, np.generic) or (isinstance(value, torch.Tensor) and value.numel() == 1):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _epoch_records(history: History) -> list[dict[str, Any]]:
    """Per-epoch history without the per-batch lists (they can be millions of entries)."""
    return [{k: v for k, v in row.items() if k != "batches"} for row in history]


def save(estimator: ResidualNetRegressor, path: str | Path) -> Path:
    """Save a fitted IRNet/SRNet/PlainNet regressor to the folder ``path``.

    Parameters
    ----------
    estimator : IRNetRegressor, SRNetRegressor or PlainNetRegressor
        A fitted estimator.
    path : str or Path
        Folder to write (created if needed; existing model files are replaced).

    Returns
    -------
    path : Path
        The folder written.

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
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().cpu().contiguous()
        for k, v in _plain_module(estimator.module_).state_dict().items()
    }
    optimizer_tensors, optimizer_groups = _optimizer_tensors(estimator.net_.optimizer_)
    fitted = {
        "n_features_in_": estimator.n_features_in_,
        "n_outputs_": estimator.n_outputs_,
        "y_1d": estimator._y_1d,
        "device_": estimator.device_,
        "best_epoch_": estimator.best_epoch_,
        "seed_stream": _seed_stream(estimator),
    }
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    config = {
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "params": _json_params(estimator),
        "fitted": fitted,
        "optimizer": {"param_groups": optimizer_groups},
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
    # serialise first: a failure must not leave a folder mixing two models
    config_text = json.dumps(config, indent=2, default=_json_scalar)
    safetensors.torch.save_file(state, str(path / WEIGHTS_FILE))
    safetensors.torch.save_file(optimizer_tensors, str(path / OPTIMIZER_FILE))
    (path / CONFIG_FILE).write_text(config_text)
    return path


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

    Examples
    --------
    >>> from skirnet import load
    >>> load("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FileNotFoundError: No skirnet model at no/such/folder (missing skirnet.json).
    """
    path = Path(path)
    if not (path / CONFIG_FILE).is_file() or not (path / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(
            f"No skirnet model at {path} (missing {CONFIG_FILE} or {WEIGHTS_FILE})."
        )
    config = json.loads((path / CONFIG_FILE).read_text())
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format {config.get('format_version')}; this skirnet reads "
            f"format {FORMAT_VERSION}."
        )
    cls = _CLASSES.get(config["class"])
    if cls is None:
        raise ValueError(f"Unknown estimator class {config['class']!r} in {path}.")
    params = config["params"]
    sizes = params.get("hidden_layer_sizes")
    if isinstance(sizes, dict):
        widths = sizes["widths"]
        params["hidden_layer_sizes"] = list(widths) if sizes["type"] == "list" else tuple(widths)
    elif isinstance(sizes, list):  # written before the container type was recorded
        params["hidden_layer_sizes"] = tuple(sizes)
    estimator = cls(**params)
    if device is None:  # the saved setting; a model trained on CUDA opens on the CPU
        saved = estimator.device
        device = saved if saved == "auto" else resolve_device(saved, cpu_fallback=True)
    estimator.set_params(device=device)
    fitted = config["fitted"]
    resolved = resolve_device(device)
    precision = resolve_precision(estimator.precision, resolved, warn=False)
    net = estimator._build_net(
        fitted["n_features_in_"],
        fitted["n_outputs_"],
        estimator._net_params(0, None, resolved, precision),
        resolved,
    )
    state = safetensors.torch.load_file(str(path / WEIGHTS_FILE), device="cpu")
    _plain_module(net.module_).load_state_dict(state)
    net.module_.to(net.device)
    if "optimizer" in config and (path / OPTIMIZER_FILE).is_file():
        _restore_optimizer(
            net.optimizer_, path / OPTIMIZER_FILE, config["optimizer"]["param_groups"]
        )
    net.history = History(config["history"])
    estimator.n_features_in_ = fitted["n_features_in_"]
    estimator._y_1d = fitted["y_1d"]
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    if fitted.get("seed_stream") is not None:
        _restore_seed_stream(estimator, fitted["seed_stream"])
    estimator._commit(net)
    estimator.best_epoch_ = fitted["best_epoch_"]
    return estimator
