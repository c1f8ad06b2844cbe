"""The training loop pieces that skorch does not have: in-memory batching and a NaN guard.

skorch's standard loop builds a :class:`torch.utils.data.DataLoader` that collates every
batch sample by sample on the CPU and copies it to the device, a per-batch cost that
matters where the arithmetic per batch is small (small batches, a fast GPU).
:class:`FastNeuralNetRegressor` instead moves the whole training and validation arrays to
the device once per ``fit`` and serves batches as index slices of a per-epoch permutation.
Everything else — the training step, the loss, callbacks, history — is skorch's own code.

The permutation is drawn from the global torch generator exactly as a shuffling
``DataLoader`` draws it, so for the same seed the fast path and the standard loop see the
same batches in the same order and train to the same weights (within float tolerance).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.dataset import Dataset

__all__ = [
    "DeviceBatches",
    "DivergenceGuard",
    "EpochProgress",
    "FastNeuralNetRegressor",
    "TimeBudget",
    "TrainingDivergedError",
    "bf16_autocast_applies",
    "cpu_has_native_bf16",
    "resolve_device",
]


class TrainingDivergedError(FloatingPointError):
    """Raised when the training loss stops being finite."""


class DivergenceGuard(Callback):
    """Stop training with a clear error as soon as an epoch's training loss is NaN or inf."""

    def on_epoch_end(self, net, **kwargs) -> None:
        loss = net.history[-1].get("train_loss")
        if loss is not None and not math.isfinite(loss):
            epoch = net.history[-1]["epoch"]
            raise TrainingDivergedError(
                f"Training loss became {loss} at epoch {epoch}. Lower the learning rate "
                "(lr), check the inputs for extreme values, or scale the features."
            )


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware (AVX512-BF16 or AMX).

    Elsewhere PyTorch emulates them, many times slower than float32 (about 2x without
    AVX512-BF16, about 30x on an AVX2-only CPU, in our measurements).

    Returns
    -------
    bool
        True on CPUs with AVX512-BF16 (e.g. AMD Zen 4, Intel Cooper Lake) or AMX (Intel
        Sapphire Rapids and later).

    Examples
    --------
    >>> from skirnet.training import cpu_has_native_bf16
    >>> cpu_has_native_bf16() in (True, False)
    True
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def bf16_autocast_applies(device: str | torch.device) -> bool:
    """Whether ``precision="bf16"`` runs under bfloat16 autocast on ``device``.

    It does on GPUs that compute bfloat16 in hardware (NVIDIA Ampere and later) and on CPUs
    with bfloat16 instructions; elsewhere (older GPUs, other CPUs, device types autocast
    does not know) the setting falls back to float32.

    Parameters
    ----------
    device : str or torch.device
        The training device.

    Returns
    -------
    bool
        True where forward passes run under bfloat16 autocast.

    Examples
    --------
    >>> from skirnet.training import bf16_autocast_applies
    >>> bf16_autocast_applies("meta")
    False
    """
    device_type = torch.device(device).type
    if device_type == "cpu":
        return cpu_has_native_bf16()
    if device_type == "cuda":  # GPUs before Ampere (V100, T4) only emulate bfloat16
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.amp.is_autocast_available(device_type)


def resolve_device(device: str) -> str:
    """The torch device a ``device`` setting means on this machine.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when available, else the CPU) or any torch device string.

    Returns
    -------
    str
        The device to use.

    Raises
    ------
    ValueError
        When CUDA is asked for and is not available.

    Examples
    --------
    >>> from skirnet.training import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available; "
            "use device='auto' or 'cpu'."
        )
    return device


def _draw_loader_seed() -> int:
    """Consume the global torch generator the way ``DataLoader.__iter__`` does."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def _writable(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array torch may wrap (read-only memmaps are copied)."""
    array = np.ascontiguousarray(array)
    return array if array.flags.writeable else array.copy()


class DeviceBatches:
    """Batches of tensors that already live on the training device.

    Parameters
    ----------
    X, y : torch.Tensor
        Whole arrays, on the device. ``y`` may be None (prediction).
    batch_size : int
        Samples per batch.
    shuffle : bool
        Draw a new permutation on each iteration (training), else keep the order.
    drop_last : bool
        Skip a final incomplete batch.

    Examples
    --------
    >>> import torch
    >>> batches = DeviceBatches(torch.arange(5.0)[:, None], None, batch_size=2, shuffle=False)
    >>> [len(xb) for xb, _ in batches]
    [2, 2, 1]
    """

    def __init__(
        self,
        X: torch.Tensor,
        y: torch.Tensor | None,
        batch_size: int,
        shuffle: bool,
        drop_last: bool = False,
    ) -> None:
        self.X, self.y = X, y
        self.batch_size = len(X) if batch_size == -1 else batch_size
        self.shuffle, self.drop_last = shuffle, drop_last

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
    """A :class:`skorch.NeuralNetRegressor` that batches in-memory arrays on the device.

    Datasets of numpy arrays (skorch's own :class:`~skorch.dataset.Dataset`) are copied to
    ``device`` once and cached on the dataset object; any other dataset falls back to
    skorch's ``DataLoader``. ``iterator_train__drop_last`` and ``iterator_train__shuffle`` are
    honoured. With ``precision="bf16"``, forward passes run under bfloat16 autocast where
    :func:`bf16_autocast_applies` (GPUs, CPUs with bfloat16 instructions), else in float32.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        As :class:`skorch.NeuralNetRegressor`.
    device_batches : bool, default=True
        Use the in-memory device batches; False keeps skorch's ``DataLoader``.
    precision : {"fp32", "bf16"}, default="fp32"
        Mixed precision for the forward pass: ``"bf16"`` runs it under bfloat16 autocast
        where the device computes bfloat16 in hardware; weights and optimiser state stay
        float32.
    """

    def __init__(
        self, module, device_batches: bool = True, precision: str = "fp32", **kwargs
    ) -> None:
        super().__init__(module, **kwargs)
        self.device_batches = device_batches
        self.precision = precision

    def _device_tensors(self, dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor | None]:
        cached = getattr(dataset, "_skirnet_device_tensors", None)
        device = torch.device(self.device)
        if (
            cached is not None
            and cached[0].device.type == device.type
            and (device.index is None or cached[0].device.index == device.index)
        ):
            return cached
        X = torch.as_tensor(_writable(dataset.X), device=self.device)
        y = (
            None
            if dataset.y is None
            else torch.as_tensor(_writable(dataset.y), device=self.device)
        )
        dataset._skirnet_device_tensors = (X, y)
        return X, y

    def get_iterator(self, dataset, training: bool = False):
        in_memory = isinstance(dataset, Dataset) and isinstance(dataset.X, np.ndarray)
        if not (self.device_batches and in_memory):
            return super().get_iterator(dataset, training=training)
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        batch_size = kwargs.get("batch_size", self.batch_size)
        X, y = self._device_tensors(dataset)
        return DeviceBatches(
            X,
            y,
            batch_size=batch_size,
            shuffle=kwargs.get("shuffle", False),
            drop_last=kwargs.get("drop_last", False),
        )

    def infer(self, x, **fit_params):
        if self.precision == "bf16" and bf16_autocast_applies(self.device):
            with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16):
                return super().infer(x, **fit_params).float()
        return super().infer(x, **fit_params)


class TimeBudget(Callback):
    """Stop training before an epoch that would end after ``seconds`` of training.

    After each epoch the callback stops training when one more epoch, of the average
    duration so far, would overrun the budget, so a fit takes at most about ``seconds``
    (plus the first epoch, which always runs).

    The estimator's early stopping (``load_best``) still restores the weights of the best
    validation epoch, because skorch runs ``on_train_end`` after the interruption.

    Parameters
    ----------
    seconds : float
        Budget of one ``fit`` call.

    Attributes
    ----------
    exhausted_ : bool
        Whether the last fit was stopped by the budget.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.start_ = time.perf_counter()
        self.epochs_ = 0
        self.exhausted_ = False

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.epochs_ += 1
        elapsed = time.perf_counter() - self.start_
        # stop now if one more epoch of average length would overrun the budget
        if elapsed * (self.epochs_ + 1) / self.epochs_ > self.seconds:
            self.exhausted_ = len(net.history) < net.max_epochs
            if self.exhausted_:
                raise KeyboardInterrupt  # skorch ends the fit loop and runs on_train_end


class EpochProgress(Callback):
    """A tqdm bar over epochs showing the training and validation loss.

    Parameters
    ----------
    label : str
        Bar description (the model's name).
    """

    def __init__(self, label: str = "training") -> None:
        self.label = label

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc=self.label, unit="epoch", leave=False)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        row = net.history[-1]
        post = {"train": f"{row['train_loss']:.4f}"}
        if "valid_loss" in row:
            post["valid"] = f"{row['valid_loss']:.4f}"
        self.bar_.set_postfix(post)
        self.bar_.update(1)

    def on_train_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.bar_.close()
