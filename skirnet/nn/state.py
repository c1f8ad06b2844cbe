"""Checks and copies of a module's state (its parameters and buffers)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["cpu_copy", "non_finite_tensors", "uncompiled"]


def non_finite_tensors(module: torch.nn.Module) -> list[str]:
    """Names of the module's parameters and buffers that hold a NaN or an infinity.

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Returns
    -------
    names : list of str
        State-dict keys, in the module's order; empty when every value is finite.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> non_finite_tensors(layer)
    []
    >>> with torch.no_grad():
    ...     _ = layer.bias.fill_(float("nan"))
    >>> non_finite_tensors(layer)
    ['bias']
    """
    return [
        name
        for name, tensor in module.state_dict().items()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]


def cpu_copy(state: Any) -> Any:
    """A copy of a (nested) state dict with every tensor copied to the CPU.

    Parameters
    ----------
    state : dict, list, tensor or other value
        A module's or an optimiser's ``state_dict()`` (or a part of one).

    Returns
    -------
    copy : same structure as ``state``
        Tensors are detached CPU copies; dicts and lists are new containers; anything else
        is shared.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> saved = cpu_copy(layer.state_dict())
    >>> with torch.no_grad():
    ...     _ = layer.bias.add_(1.0)
    >>> bool(torch.equal(saved["bias"] + 1.0, layer.bias))
    True
    """
    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        return {key: cpu_copy(value) for key, value in state.items()}
    if isinstance(state, list):
        return [cpu_copy(value) for value in state]
    return state


def uncompiled(module: torch.nn.Module) -> torch.nn.Module:
    """The module itself, or the original one under a ``torch.compile`` wrapper.

    Weights are saved and loaded through it, without the wrapper's ``_orig_mod.``
    prefix, so a file written with ``compile=True`` loads into a plain module.

    Parameters
    ----------
    module : torch.nn.Module
        A module, compiled or not.

    Returns
    -------
    module : torch.nn.Module
        The module whose ``state_dict`` has the plain parameter names.

    Examples
    --------
    >>> import torch
    >>> layer = torch.nn.Linear(2, 1)
    >>> uncompiled(layer) is layer
    True
    """
    return getattr(module, "_orig_mod", module)
