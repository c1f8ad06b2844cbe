"""The training loop pieces that skorch does not have: device batches, guards, interrupts.

skorch's standard loop builds a :class:`torch.utils.data.DataLoader` that collates every
batch sample by sample on the CPU and copies it to the device, a per-batch cost that
matters where the arithmetic per batch is small (small batches, a fast GPU).
:class:`DeviceBatches` is a drop-in for skorch's ``iterator_train``/``iterator_valid``: it
moves the whole training and validation arrays to the device once per ``fit`` and serves
batches as index slices of a per-epoch permutation, drawn from the global torch generator
exactly as a shuffling ``DataLoader`` draws it: for the same seed both see the same batches
in the same order and train to the same weights (within float tolerance). Everything else
(the training step, the loss, callbacks, history) is skorch's own code.
"""

from __future__ import annotations

import contextlib
import functools
import math
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import numpy as np
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import Dataset
from skorch.history import History

from skirnet.callbacks import DivergenceGuard, WeightEMA

__all__ = [
    "FLOAT_DTYPES",
    "DeviceBatches",
    "FastNeuralNetRegressor",
    "SigintWatch",
    "as_float32",
    "drop_unfinished_epoch",
    "reconfigure_net",
    "seeded_torch",
    "training_callbacks",
]


class SigintWatch:
    """Tell a real Ctrl-C from the ``KeyboardInterrupt`` callbacks raise to end training.

    skorch ends training quietly on any ``KeyboardInterrupt``; early stopping,
    :class:`~skirnet.callbacks.TimeBudget` and :class:`~skirnet.callbacks.TrainingCheckpoint` raise one on
    purpose. While the context is active (main thread only), SIGINT goes through a handler
    that calls the previous handler and, when that raises ``KeyboardInterrupt`` (Python's
    default), records it in ``interrupted``. The previous handler is restored on exit. An
    ignored SIGINT (``SIG_IGN``) or a non-Python handler is left alone.

    Attributes
    ----------
    interrupted : bool
        Whether a SIGINT interrupted the code inside the context.

    Examples
    --------
    >>> import os, signal
    >>> with SigintWatch() as watch:
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...     except KeyboardInterrupt:
    ...         pass
    >>> watch.interrupted
    True
    """

    def __init__(self) -> None:
        self.interrupted = False
        self._previous: Any = None

    def __enter__(self) -> SigintWatch:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):
                self._previous = previous
                signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        try:
            self._previous(signum, frame)
        except KeyboardInterrupt:
            self.interrupted = True
            raise

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


#: The dtypes input validation keeps (anything else becomes float32).
FLOAT_DTYPES = [np.float32, np.float64]
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` as float32, the network's dtype; an entry float32 cannot hold is an error.

    Examples
    --------
    >>> import numpy as np
    >>> as_float32(np.array([[1.0, 2.0], [3.0, 1e39]]), "X")
    Traceback (most recent call last):
    ...
    ValueError: X[1, 1] = 1e+39 (row 1) is out of range: the network computes in float32, whose largest value is 3.403e+38. Rescale X (e.g. change its units).
    """
    if values.dtype != np.float32 and values.size:
        if values.max() > _FLOAT32_MAX or values.min() < -_FLOAT32_MAX:
            where = tuple(int(i) for i in np.argwhere(np.abs(values) > _FLOAT32_MAX)[0])
            raise ValueError(
                f"{name}[{', '.join(map(str, where))}] = {values[where]:g} (row {where[0]}) is "
                "out of range: the network computes in float32, whose largest value is "
                f"{_FLOAT32_MAX:.4g}. Rescale {name.split()[-1]} (e.g. change its units)."
            )
    return values.astype(np.float32, copy=False)


def _draw_loader_seed() -> int:
    """Consume the global torch generator the way ``DataLoader.__iter__`` does."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def _on_device(values: Any, device: str) -> torch.Tensor:
    """A tensor of ``values`` on ``device`` (read-only or strided arrays are copied first)."""
    if isinstance(values, np.ndarray):
        values = np.ascontiguousarray(values)
        values = values if values.flags.writeable else values.copy()
    return torch.as_tensor(values, device=device)


class DeviceBatches:
    """skorch's batch iterator for in-memory data: slices of arrays kept on the device.

    Pass it (bound to a device with ``functools.partial``) as a net's
    ``iterator_train``/``iterator_valid``; skorch calls it with the dataset and the
    ``iterator_train__*`` parameters, as it would a ``DataLoader``. The dataset's arrays
    are copied to ``device`` once and cached on the dataset object, so every epoch reuses
    them.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Of numpy arrays or tensors; ``y`` may be None (prediction).
    batch_size : int
        Samples per batch.
    shuffle : bool, default=False
        Draw a new permutation on each iteration (training), else keep the order.
    drop_last : bool, default=False
        Skip a final incomplete batch.
    device : str, default="cpu"
        Where the batches live.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> batches = DeviceBatches(Dataset(np.arange(5.0)[:, None], None), batch_size=2)
    >>> [len(xb) for xb, _ in batches]
    [2, 2, 1]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        device: str = "cpu",
    ) -> None:
        if not isinstance(dataset, Dataset) or not isinstance(
            dataset.X, (np.ndarray, torch.Tensor)
        ):
            raise TypeError(
                "DeviceBatches serves skorch Datasets of arrays; got "
                f"{type(dataset).__name__}. Use fast_path=False for other datasets."
            )
        self.X, self.y = self._tensors(dataset, device)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last

    @staticmethod
    def _tensors(dataset: Dataset, device: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        cached = getattr(dataset, "_skirnet_device_tensors", None)
        target = torch.device(device)
        if cached is not None and cached[0].device.type == target.type:
            if target.index is None or cached[0].device.index == target.index:
                return cached
        y = None if dataset.y is None else _on_device(dataset.y, device)
        dataset._skirnet_device_tensors = (_on_device(dataset.X, device), y)
        return dataset._skirnet_device_tensors

    def __len__(self) -> int:
        n, bs = len(self.X), self.batch_size
        return n // bs if self.drop_last else math.ceil(n / bs)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        n, bs = len(self.X), self.batch_size
        _draw_loader_seed()  # the DataLoader's base seed
        order = None
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(_draw_loader_seed())  # the RandomSampler's seed
            order = torch.randperm(n, generator=generator).to(self.X.device)
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            if order is None:
                idx = slice(start, start + bs)
            else:
                idx = order[start : start + bs]
            yield self.X[idx], (None if self.y is None else self.y[idx])


class FastNeuralNetRegressor(NeuralNetRegressor):
    """A :class:`skorch.NeuralNetRegressor` with bfloat16 autocast for the forward pass.

    Batching is skorch's seam: pass ``iterator_train=partial(DeviceBatches, device=...)``
    (and the same for ``iterator_valid``) for the in-memory device batches, or keep
    skorch's ``DataLoader``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        As :class:`skorch.NeuralNetRegressor`.
    precision : {"fp32", "bf16"}, default="fp32"
        ``"bf16"`` runs the forward pass under bfloat16 autocast (weights and optimiser
        state stay float32). Resolve it with :func:`skirnet.device.resolve_precision` first: the net
        applies it as given.
    """

    def __init__(self, module, precision: str = "fp32", **kwargs) -> None:
        super().__init__(module, **kwargs)
        self.precision = precision

    def infer(self, x, **fit_params):
        if self.precision == "bf16":
            with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16):
                return super().infer(x, **fit_params).float()
        return super().infer(x, **fit_params)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        # skorch maps a CUDA net to the CPU when CUDA is gone; the batches follow it
        for name in ("iterator_train", "iterator_valid"):
            iterator = getattr(self, name, None)
            if isinstance(iterator, functools.partial) and iterator.func is DeviceBatches:
                setattr(self, name, functools.partial(DeviceBatches, device=self.device))


def reconfigure_net(net: FastNeuralNetRegressor, params: dict[str, Any]) -> None:
    """Point a trained net at new data and new skorch arguments, keeping its state.

    Warm starts and ``partial_fit`` continue a net: its weights, the optimiser's state
    (moments, step counts) and the history stay; the learning rate, weight decay, loss,
    batches, callbacks and the rest follow ``params``.

    Parameters
    ----------
    net : FastNeuralNetRegressor
        An initialised net.
    params : dict
        skorch arguments, as the estimators build them (``lr``,
        ``optimizer__weight_decay``, ``criterion``, ``iterator_*``, ``callbacks``, ...).
    """
    params = dict(params)
    # set_params updates lr and weight decay in the optimiser's groups, keeping its state;
    # set_params(criterion=) would rebuild the optimiser: the loss, which has no
    # parameters, is set in place
    net.set_params(**{k: params.pop(k) for k in ("lr", "optimizer__weight_decay")})
    net.criterion = net.criterion_ = params.pop("criterion").to(net.device)
    for group in net.optimizer_.param_groups:
        group.pop("initial_lr", None)  # a new schedule starts from the current lr
    # skorch's set_params refuses iterator_* on an initialised net: set them directly
    vars(net).update(params)
    net.initialize_callbacks()


def training_callbacks(
    *,
    validation: bool,
    patience: int,
    lr_schedule: str | None,
    lr: float,
    max_epochs: int,
    steps_per_epoch: int,
    progress_bar: bool,
    ema_decay: float | None = None,
) -> list[tuple[str, Callback | None]]:
    """The named skorch callbacks of one training run, in the order they run.

    Parameters
    ----------
    validation : bool
        Whether there is a validation set: early stopping on ``valid_loss``, restoring
        the best epoch's weights, runs only then.
    patience, lr_schedule, lr, max_epochs, progress_bar, ema_decay
        The estimator's parameters of these names.
    steps_per_epoch : int
        Optimiser steps per epoch (the one-cycle schedule steps per batch).

    Returns
    -------
    callbacks : list of (name, callback)
        ``"divergence_guard"``, ``"early_stopping"`` (None without validation), then
        ``"lr_schedule"``, ``"weight_ema"`` and ``"progress_bar"`` where asked for.

    Examples
    --------
    >>> from skirnet._training import training_callbacks
    >>> [name for name, _ in training_callbacks(
    ...     validation=True, patience=20, lr_schedule="cosine", lr=1e-3, max_epochs=10,
    ...     steps_per_epoch=5, progress_bar=False)]
    ['divergence_guard', 'early_stopping', 'lr_schedule']
    """
    early = EarlyStopping(monitor="valid_loss", patience=patience, load_best=True)
    callbacks: list = [
        ("divergence_guard", DivergenceGuard()),
        ("early_stopping", early if validation else None),
    ]
    if lr_schedule == "cosine":
        policy = {"policy": torch.optim.lr_scheduler.CosineAnnealingLR, "T_max": max_epochs}
    elif lr_schedule == "onecycle":
        policy = {
            "policy": torch.optim.lr_scheduler.OneCycleLR,
            "max_lr": float(lr),
            "total_steps": max_epochs * max(steps_per_epoch, 1),
            "step_every": "batch",
        }
    if lr_schedule is not None:
        callbacks.append(("lr_schedule", LRScheduler(**policy, last_epoch=-1)))
    if ema_decay is not None:  # after early stopping, which must see the averaged weights
        callbacks.append(("weight_ema", WeightEMA(ema_decay)))
    if progress_bar:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks


@contextlib.contextmanager
def seeded_torch(seed: int, device: str) -> Iterator[None]:
    """Seed torch (CPU and ``device``) inside the context, restoring the caller's state after.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_rng_state()
    >>> with seeded_torch(0, "cpu"):
    ...     a = torch.rand(1)
    >>> with seeded_torch(0, "cpu"):
    ...     b = torch.rand(1)
    >>> bool(torch.equal(a, b)), bool(torch.equal(before, torch.get_rng_state()))
    (True, True)
    """
    cuda = [torch.device(device).index or 0] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


def drop_unfinished_epoch(history: History, validation: bool) -> int:
    """Drop the history row of an epoch an interruption cut short; return its number.

    skorch opens an epoch's row when the epoch begins; an epoch that did not reach the
    end records no loss. When the last row is complete, nothing is dropped and the
    number of the epoch that would have come next is returned.

    Examples
    --------
    >>> from skorch.history import History
    >>> history = History([{"epoch": 1, "train_loss": 0.5}, {"epoch": 2}])
    >>> drop_unfinished_epoch(history, validation=False), len(history)
    (2, 1)
    """
    row = history[-1] if history else {}
    needed = ("train_loss", "valid_loss") if validation else ("train_loss",)
    if row and not all(key in row for key in needed):
        history.pop()
        return row["epoch"]
    return len(history) + 1
