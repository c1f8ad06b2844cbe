"""The training losses the estimators offer, by name."""

from __future__ import annotations

import torch

__all__ = ["LOSSES", "regression_loss"]

#: The names ``regression_loss`` accepts.
LOSSES = ("absolute_error", "huber")


def regression_loss(name: str, huber_delta: float = 0.1) -> torch.nn.Module:
    """The loss module of a name.

    Parameters
    ----------
    name : {"absolute_error", "huber"}
        The mean absolute error (L1; the paper's) or the Huber loss.
    huber_delta : float, default=0.1
        Where the Huber loss turns from quadratic to linear, in the target's units.

    Returns
    -------
    torch.nn.Module
        :class:`torch.nn.L1Loss` or :class:`torch.nn.HuberLoss`, averaging over the batch.

    Examples
    --------
    >>> from skirnet.nn.losses import regression_loss
    >>> regression_loss("huber", 0.05)
    HuberLoss()
    """
    if name == "absolute_error":
        return torch.nn.L1Loss()
    if name == "huber":
        return torch.nn.HuberLoss(delta=float(huber_delta))
    raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
