"""The moving average of the weights (``ema_decay``)."""

from __future__ import annotations

from typing import Any

import torch
from skorch.callbacks import Callback

__all__ = ["WeightEMA"]


class WeightEMA(Callback):
    """Keep, validate and finally use an exponential moving average of the weights.

    After every training batch each floating-point tensor of the module's state (weights
    and batch-norm statistics) moves towards its current value::

        average = decay_t * average + (1 - decay_t) * value,
        decay_t = min(decay, (1 + t) / (10 + t))        # t: updates so far

    The warm-up in ``decay_t`` (as in TensorFlow's ``ExponentialMovingAverage``) keeps
    the first epochs from averaging in the random initial weights. Integer tensors (a
    batch-norm's batch counter) are copied.

    Validation batches run with the averaged weights; the raw weights come back at the end
    of the epoch, after the callbacks before this one (early stopping) have seen the
    averaged ones. Put this callback after early stopping. When training ends, the model
    keeps the best epoch's averaged weights (early stopping restores them), or the final
    average when there is no validation set.

    Parameters
    ----------
    decay : float
        Weight of the old average at each update, in (0, 1). ``0.999`` averages over
        roughly the last thousand batches.

    Attributes
    ----------
    average_ : dict of str to torch.Tensor
        The averaged state, keyed as the module's ``state_dict``.
    updates_ : int
        Updates so far in this fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet import IRNetRegressor
    >>> X = np.random.RandomState(0).normal(size=(256, 4)); y = X.sum(axis=1)
    >>> model = IRNetRegressor(hidden_layer_sizes="16x2", max_epochs=5, random_state=0,
    ...                        ema_decay=0.9).fit(X, y)
    >>> ema = dict(model.net_.callbacks_)["weight_ema"]
    >>> ema.updates_ > 0
    True
    """

    def __init__(self, decay: float) -> None:
        self.decay = decay

    # ------------------------------------------------------------------ skorch hooks

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.average_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        self.updates_ = 0
        self._raw: dict[str, torch.Tensor] | None = None

    def on_batch_end(self, net: Any, training: bool = False, **kwargs: Any) -> None:  # noqa: D102
        if not training:
            return
        decay = min(self.decay, (1 + self.updates_) / (10 + self.updates_))
        with torch.no_grad():
            for key, value in net.module_.state_dict().items():
                average = self.average_[key]
                if average.is_floating_point():
                    average.lerp_(value.detach(), 1.0 - decay)
                else:
                    average.copy_(value)
        self.updates_ += 1

    def on_batch_begin(self, net: Any, training: bool = False, **kwargs: Any) -> None:  # noqa: D102
        if not training and self._raw is None:  # the epoch's first validation batch
            self._raw = self._swap_in(net, self.average_)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        if self._raw is not None:
            self._swap_in(net, self._raw)
            self._raw = None

    def on_train_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        # early stopping (an earlier callback) has loaded the best epoch's averaged weights
        # if that epoch was not the last; otherwise, or without early stopping, the
        # average is the model
        self._raw = None
        early = dict(net.callbacks_).get("early_stopping")
        last = net.history[-1, "epoch"] if len(net.history) else None
        if early is None or not early.load_best or early.best_epoch_ == last:
            self._swap_in(net, self.average_)

    # ------------------------------------------------------------------ state

    @staticmethod
    def _swap_in(net: Any, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Copy ``state`` into the module in place; return the values it replaced."""
        replaced = {}
        with torch.no_grad():
            for key, value in net.module_.state_dict().items():
                replaced[key] = value.detach().clone()
                value.copy_(state[key])
        return replaced

    def checkpoint_tensors(self) -> dict[str, torch.Tensor]:
        """The tensors a training checkpoint must keep to resume the average exactly."""
        return {key: value.detach().cpu().contiguous() for key, value in self.average_.items()}

    def restore_checkpoint(self, tensors: dict[str, torch.Tensor], updates: int) -> None:
        """Continue the average from a checkpoint's tensors and update count."""
        with torch.no_grad():
            for key, value in self.average_.items():
                value.copy_(tensors[key])
        self.updates_ = updates
