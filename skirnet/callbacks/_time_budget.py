"""A time budget: training ends cleanly once a number of seconds has passed."""

from __future__ import annotations

import time
from typing import Any

from skorch.callbacks import Callback

__all__ = ["TimeBudget"]


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
