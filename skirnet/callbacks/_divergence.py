"""The divergence guard: a clear error as soon as a loss is NaN or inf."""

from __future__ import annotations

import math
from typing import Any

from skorch.callbacks import Callback

__all__ = ["DivergenceGuard", "TrainingDivergedError"]


class TrainingDivergedError(FloatingPointError):
    """Raised when the training or validation loss, or a trained weight, is NaN or inf."""


class DivergenceGuard(Callback):
    """Stop training with a clear error as soon as an epoch's loss is NaN or inf.

    Both losses are checked: the training loss is averaged over the batches *before* each
    optimiser step, so only the validation loss (computed after the epoch's last step)
    sees a step that broke the weights.
    """

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        row = net.history[-1]
        for key, name in (("train_loss", "Training"), ("valid_loss", "Validation")):
            loss = row.get(key)
            if loss is not None and not math.isfinite(loss):
                raise TrainingDivergedError(
                    f"{name} loss became {loss} at epoch {row['epoch']}. Lower the learning "
                    "rate (lr), check the inputs for extreme values, or scale the features."
                )
