"""Deprecated: :class:`TrainingCheckpoint` lives in :mod:`skirnet.callbacks` now.

The old import keeps working, with a :class:`DeprecationWarning`, for one release.
"""

from __future__ import annotations

from skirnet._warnings import moved_names

__getattr__ = moved_names(
    "skirnet.checkpoint", {"TrainingCheckpoint": "skirnet.callbacks.TrainingCheckpoint"}
)
