"""skirnet's skorch callbacks: each one job, each usable with any skorch net.

They know nothing of the estimators; the estimators add them for their parameters.

* :class:`WeightEMA` keeps an exponential moving average (EMA) of the weights, which
  smooths out the last steps' noise: it puts the average in place for each epoch's
  validation (so early stopping judges, and keeps, the averaged weights) and leaves it in
  the network when training ends. The estimators add it for ``ema_decay``.
* :class:`TimeBudget` ends training cleanly once a number of seconds has passed.
* :class:`EpochProgress` shows a progress bar over the epochs.
* :class:`TrainingCheckpoint` saves the whole training state every epoch and resumes
  from it.
* :class:`DivergenceGuard` stops training with :class:`TrainingDivergedError` as soon as a
  loss is NaN or inf.
"""

from __future__ import annotations

from skirnet.callbacks._checkpoint import TrainingCheckpoint
from skirnet.callbacks._divergence import DivergenceGuard, TrainingDivergedError
from skirnet.callbacks._progress import EpochProgress
from skirnet.callbacks._time_budget import TimeBudget
from skirnet.callbacks._weight_average import WeightEMA

__all__ = [
    "DivergenceGuard",
    "EpochProgress",
    "TimeBudget",
    "TrainingCheckpoint",
    "TrainingDivergedError",
    "WeightEMA",
]
