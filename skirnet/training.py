"""Deprecated: the training loop's pieces are internal (``skirnet._training``).

They are how the estimators train (device batches, the skorch subclass, Ctrl-C handling),
not an interface: use the estimators' parameters instead. The callbacks that were here
live in :mod:`skirnet.callbacks`, the device and precision rules in :mod:`skirnet.device`.
Every name still works from here, with a :class:`DeprecationWarning`, until the next
release removes this module.
"""

from __future__ import annotations

from skirnet._warnings import moved_names

_INTERNAL = (
    "FLOAT_DTYPES",
    "DeviceBatches",
    "FastNeuralNetRegressor",
    "SigintWatch",
    "as_float32",
    "drop_unfinished_epoch",
    "reconfigure_net",
    "seeded_torch",
    "training_callbacks",
)
_CALLBACKS = ("TimeBudget", "EpochProgress", "DivergenceGuard", "TrainingDivergedError")
_DEVICE = ("bf16_autocast_applies", "cpu_has_native_bf16", "resolve_device", "resolve_precision")

__getattr__ = moved_names(
    "skirnet.training",
    {
        **{
            name: (f"skirnet._training.{name}", f"skirnet._training.{name} (internal)")
            for name in _INTERNAL
        },
        **{name: f"skirnet.callbacks.{name}" for name in _CALLBACKS},
        **{name: f"skirnet.device.{name}" for name in _DEVICE},
    },
)
