"""Resumable training: a skorch callback that saves the whole training state every epoch.

:class:`TrainingCheckpoint` writes, after every epoch, everything the next epoch depends
on: the weights, the optimiser's state, the learning-rate schedule's position, early
stopping's counters and best weights, the weight average (``ema_decay``), the history and
the torch random state that shuffles the next epoch's batches. When a later ``fit`` of
the same estimator (same parameters, same data) starts and finds the checkpoint, it
continues from it, so a fit interrupted after epoch *k* and started again ends with the
same weights as one that ran straight through (bit for bit on the CPU at a fixed thread
count).

The checkpoint is a folder of two files, written to a temporary sibling and swapped in
whole (:func:`skirnet._atomic.replace_folder`), so an interruption while writing leaves
the previous epoch's checkpoint intact (and, on Linux, the folder is never missing; a
resume elsewhere bridges the moment between two renames)::

    state.safetensors    tensors: weights, optimiser moments, best weights, random state
    state.json           everything else: history, optimiser groups, schedule, counters,
                         and the SHA-256 of state.safetensors

Nothing is unpickled on resume. The recorded SHA-256 ties the two files together: a
resume reads both once, and files of two epochs (a save landing between the two reads)
are read again; files that stay mismatched, or one that is truncated or corrupt, raise a
one-line ValueError naming the file instead of resuming from a damaged state.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.history import History

from skirnet._atomic import read_whole, replace_folder
from skirnet.callbacks._weight_average import WeightEMA

__all__ = ["TrainingCheckpoint"]

_TENSORS = "state.safetensors"
_CONFIG = "state.json"
_NAMES = (_TENSORS, _CONFIG)
_FORMAT = 1


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic) or (isinstance(value, torch.Tensor) and value.numel() == 1):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _read_checkpoint(folder: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``state.json`` and the tensors of ``state.safetensors``, of one save, checked.

    Both files are read once (:func:`skirnet._atomic.read_whole`): a pair whose
    SHA-256 does not match is read again while a save over the folder is under way, and
    reported when it stays mismatched. Checkpoints written before the SHA-256 was
    recorded are read without that check.

    Raises
    ------
    ValueError
        A file that is missing, truncated, corrupt or of another save; the one-line
        message names it.
    """
    config_path, tensors_path = folder / _CONFIG, folder / _TENSORS
    advice = f"delete {folder} to train from the start"

    def read() -> tuple[bytes, bytes]:
        return config_path.read_bytes(), tensors_path.read_bytes()

    def parse(data: bytes) -> dict[str, Any]:
        try:
            config = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{config_path}: damaged ({exc}); {advice}") from None
        if not isinstance(config, dict):
            raise ValueError(f"{config_path}: not a checkpoint (no JSON object); {advice}")
        return config

    def mismatch(files: tuple[bytes, bytes]) -> Exception | None:
        recorded = parse(files[0]).get("tensors_sha256")
        digest = hashlib.sha256(files[1]).hexdigest()
        if recorded is None or digest == recorded:
            return None
        return ValueError(
            f"{tensors_path}: SHA-256 {digest[:12]}... differs from the "
            f"{str(recorded)[:12]}... recorded in {config_path} (damaged, or of another "
            f"save); {advice}"
        )

    try:
        config_data, tensor_data = read_whole(folder, read, mismatch)
    except FileNotFoundError as exc:
        raise ValueError(f"{exc.filename}: missing from the checkpoint; {advice}") from None
    try:
        tensors = safetensors.torch.load(tensor_data)
    except safetensors.SafetensorError as exc:
        raise ValueError(f"{tensors_path}: damaged ({exc}); {advice}") from None
    return parse(config_data), tensors


def _json_float(value: float) -> Any:
    """JSON has no infinity: early stopping's initial threshold is written as a string."""
    return value if math.isfinite(value) else repr(float(value))


class TrainingCheckpoint(Callback):
    """Save the training state after every epoch and resume from it at the next fit.

    Add it to an estimator's ``callbacks``. A ``fit`` that finds a checkpoint in
    ``dirname`` restores it after the network is built and continues with the epoch after
    the saved one, ending at ``max_epochs`` epochs in all (or earlier, by early stopping),
    exactly as an uninterrupted fit would. The caller must give the resumed fit the same
    parameters and data; the checkpoint records ``max_epochs`` and the network's parameter
    shapes and refuses to resume a different run.

    Parameters
    ----------
    dirname : str or Path
        Folder of the checkpoint (created when the first epoch ends).

    Attributes
    ----------
    resumed_epochs_ : int
        Epochs restored from the checkpoint at the start of the last fit (0: fresh start).

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from skirnet import IRNetRegressor
    >>> from skirnet.callbacks import TrainingCheckpoint
    >>> X = np.random.RandomState(0).normal(size=(64, 4)); y = X.sum(axis=1)
    >>> folder = tempfile.mkdtemp()
    >>> model = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=3, random_state=0,
    ...                        callbacks=[TrainingCheckpoint(folder)]).fit(X, y)
    >>> checkpoint = TrainingCheckpoint(folder)
    >>> again = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=3, random_state=0,
    ...                        callbacks=[checkpoint]).fit(X, y)
    >>> checkpoint.resumed_epochs_  # nothing left to train
    3
    """

    def __init__(self, dirname: str | Path) -> None:
        self.dirname = dirname

    # ------------------------------------------------------------------ skorch hooks

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.resumed_epochs_ = 0
        folder = Path(self.dirname)
        if folder.is_dir():
            # each save replaces the folder whole: other files in it would be deleted
            foreign = sorted(p.name for p in folder.iterdir() if p.name not in _NAMES)
            if foreign:
                raise FileExistsError(
                    f"{folder} holds other files ({', '.join(foreign[:5])}); give "
                    "TrainingCheckpoint a folder of its own"
                )
        if (folder / _CONFIG).is_file():
            self._restore(net)
            self.resumed_epochs_ = len(net.history)

    def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        # skorch has opened this epoch's history row; a resumed fit that already holds
        # max_epochs epochs drops it and ends (skorch then runs on_train_end as usual)
        if self.resumed_epochs_ and len(net.history) > net.max_epochs:
            net.history.pop()
            raise KeyboardInterrupt

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self._write(net)
        # the resumed fit's loop runs max_epochs more epochs; stop at max_epochs in all
        if self.resumed_epochs_ and len(net.history) >= net.max_epochs:
            raise KeyboardInterrupt

    # ------------------------------------------------------------------ state

    def _callback_states(self, net: Any) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        states: dict[str, Any] = {}
        tensors: dict[str, torch.Tensor] = {}
        for name, callback in net.callbacks_:
            if isinstance(callback, LRScheduler) and hasattr(callback, "lr_scheduler_"):
                states[name] = {
                    "scheduler": callback.lr_scheduler_.state_dict(),
                    "batch_idx_": callback.batch_idx_,
                }
            elif isinstance(callback, EarlyStopping) and hasattr(callback, "misses_"):
                states[name] = {
                    "misses_": callback.misses_,
                    "dynamic_threshold_": _json_float(callback.dynamic_threshold_),
                    "best_epoch_": callback.best_epoch_,
                    "has_best_weights": callback.best_model_weights_ is not None,
                }
                for key, value in (callback.best_model_weights_ or {}).items():
                    tensors[f"callback.{name}.{key}"] = value.detach().cpu().contiguous()
            elif isinstance(callback, WeightEMA) and hasattr(callback, "average_"):
                states[name] = {"updates_": callback.updates_}
                for key, value in callback.checkpoint_tensors().items():
                    tensors[f"callback.{name}.{key}"] = value
        return states, tensors

    def _write(self, net: Any) -> None:
        folder = Path(self.dirname)
        optimizer = net.optimizer_.state_dict()
        tensors = {
            f"module.{k}": v.detach().cpu().contiguous()
            for k, v in net.module_.state_dict().items()
        }
        for index, state in optimizer["state"].items():
            for name, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous()
        tensors["rng.cpu"] = torch.get_rng_state()
        callback_states, callback_tensors = self._callback_states(net)
        tensors.update(callback_tensors)
        config = {
            "format": _FORMAT,
            "max_epochs": net.max_epochs,
            "param_groups": optimizer["param_groups"],
            "callbacks": callback_states,
            "history": list(net.history),
        }

        def write(tmp: Path) -> None:
            safetensors.torch.save_file(tensors, str(tmp / _TENSORS))
            # the folder is still private: what is hashed is what a resume will read
            config["tensors_sha256"] = hashlib.sha256((tmp / _TENSORS).read_bytes()).hexdigest()
            (tmp / _CONFIG).write_text(json.dumps(config, default=_json_value))

        replace_folder(folder, write, _NAMES)

    def _restore(self, net: Any) -> None:
        folder = Path(self.dirname)
        config, tensors = _read_checkpoint(folder)
        if config.get("format") != _FORMAT or config.get("max_epochs") != net.max_epochs:
            raise ValueError(
                f"The checkpoint in {folder} belongs to another run (max_epochs "
                f"{config.get('max_epochs')}, this fit {net.max_epochs}); delete it or "
                "use another folder."
            )
        try:
            self._apply(net, folder, config, tensors)
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            reason = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(
                f"{folder / _CONFIG}: the checkpoint cannot be restored ({reason}); delete "
                f"{folder} to train from the start"
            ) from None

    def _apply(
        self, net: Any, folder: Path, config: dict[str, Any], tensors: dict[str, torch.Tensor]
    ) -> None:
        """Put the state read from ``folder`` into ``net`` and its callbacks."""
        module_state = {k[7:]: v for k, v in tensors.items() if k.startswith("module.")}
        own = net.module_.state_dict()
        if module_state.keys() != own.keys() or any(
            own[k].shape != v.shape for k, v in module_state.items()
        ):
            raise ValueError(
                f"The checkpoint in {folder} holds another network's weights; delete it "
                "or use another folder."
            )
        net.module_.load_state_dict(module_state)
        optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("optimizer."):
                index, name = key[10:].split(".", 1)
                optimizer_state.setdefault(int(index), {})[name] = value
        net.optimizer_.load_state_dict(
            {"state": optimizer_state, "param_groups": config["param_groups"]}
        )
        net.history = History(config["history"])
        callbacks = dict(net.callbacks_)
        for name, state in config["callbacks"].items():
            callback = callbacks[name]
            prefix = f"callback.{name}."
            own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            if isinstance(callback, LRScheduler):
                callback.lr_scheduler_.load_state_dict(state["scheduler"])
                callback.batch_idx_ = state["batch_idx_"]
            elif isinstance(callback, EarlyStopping):
                callback.misses_ = state["misses_"]
                callback.dynamic_threshold_ = float(state["dynamic_threshold_"])
                callback.best_epoch_ = state["best_epoch_"]
                callback.best_model_weights_ = (
                    {k: v.to(net.device) for k, v in own.items()}
                    if state["has_best_weights"]
                    else None
                )
            elif isinstance(callback, WeightEMA):
                callback.restore_checkpoint(own, state["updates_"])
        torch.set_rng_state(tensors["rng.cpu"])
