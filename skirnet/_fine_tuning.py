"""Fine-tuning from a saved network: the steps the estimators take, below them.

:func:`source_for` reads the network an estimator's ``pretrained`` names (a shipped
model's or a saved folder's) without building an estimator, and checks it against the
estimator and its inputs; :func:`initialise_from`, :func:`rescale_output` and
:func:`freeze_first_layers` carry its weights into the new network, and
:func:`beats_the_median` decides whether its output layer is worth keeping. The estimators call
these; :mod:`skirnet.transfer` offers them, with the higher-level transfer tools, to users.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skirnet._network_file import read_network
from skirnet._shipped_models import list_models, resolve
from skirnet.nn import DenseUnit

__all__ = [
    "beats_the_median",
    "check_inputs",
    "freeze_first_layers",
    "initialise_from",
    "rescale_output",
    "source_folder",
    "source_for",
]


def source_folder(pretrained: str | os.PathLike[str]) -> Path:
    """The network folder of a shipped model's name, or the given folder itself."""
    folder = resolve(pretrained)
    # a shipped model (or a folder from 'skirnet train') keeps its network in net/
    if (folder / "pipeline.json").is_file() and (folder / "net").is_dir():
        return folder / "net"
    return folder


def source_for(estimator: Any, n_features: int) -> Any:
    """The network an estimator's ``pretrained`` names, checked against it and X (or None).

    It is read as a bare network (``skirnet._network_file.read_network``): no
    estimator is built, so the estimators can call this.
    """
    if estimator.pretrained is None:
        if estimator.freeze_layers:
            raise ValueError("freeze_layers needs a pretrained network (pretrained=...).")
        return None
    folder = source_folder(estimator.pretrained)
    if not folder.exists():
        raise FileNotFoundError(
            f"pretrained={str(estimator.pretrained)!r} is neither a shipped model "
            f"({', '.join(list_models())}) nor a folder written by skirnet.save"
        )
    source = read_network(folder)
    if source.class_name != type(estimator).__name__:
        raise ValueError(
            f"pretrained={str(estimator.pretrained)!r} is a {source.class_name}; fine-tune "
            f"it with {source.class_name}, not {type(estimator).__name__}."
        )
    names = getattr(estimator, "feature_names_in_", None)
    check_inputs(source, n_features, names, estimator.pretrained)
    return source


def check_inputs(source: Any, n_features: int, feature_names: Any, pretrained: Any) -> None:
    """Refuse inputs that are not the features the source network was trained on."""
    if n_features != source.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but the pretrained model {str(pretrained)!r} "
            f"takes {source.n_features_in_}: give it the features it was trained on (for a "
            "shipped model: its featurizer, standardisation and clip, as "
            "skirnet.transfer.make_fine_tuning_pipeline builds them)."
        )
    names = getattr(source, "feature_names_in_", None)
    if names is not None and feature_names is not None:
        different = [(a, b) for a, b in zip(feature_names, names, strict=True) if a != b]
        if different:
            got, wanted = different[0]
            raise ValueError(
                f"X's feature names differ from those the pretrained model {str(pretrained)!r} "
                f"was trained on: {got!r} where it had {wanted!r} "
                f"({len(different)} column(s) differ)."
            )


def initialise_from(module: torch.nn.Module, source: torch.nn.Module, reset_output: bool) -> None:
    """Copy the source network's weights into ``module`` (same architecture).

    With ``reset_output`` (or when the number of outputs differs) the output layer keeps
    its fresh initialisation: a new target gets a new head.
    """
    state = {k: v.detach().clone() for k, v in source.state_dict().items()}
    same_head = source.output.weight.shape == module.output.weight.shape
    if reset_output or not same_head:
        state = {k: v for k, v in state.items() if not k.startswith("output.")}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("output.") for k in missing):
        raise ValueError(f"architectures differ: missing {missing}, unexpected {unexpected}")


def rescale_output(output: torch.nn.Linear, factor: np.ndarray, shift: np.ndarray) -> None:
    """Make the linear layer ``output`` predict ``factor * y + shift`` for each target ``y``.

    Used when a kept output layer moves from its source's target units to a fine-tuned
    model's: with ``factor = s_source / s_new`` and ``shift = (m_source - m_new) / s_new``
    it predicts, in the new standardised units, exactly what it predicted before.

    Parameters
    ----------
    output : torch.nn.Linear
        The layer, changed in place.
    factor, shift : ndarray of shape (n_outputs,)
        Per-target scale and offset.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skirnet._fine_tuning import rescale_output
    >>> layer = torch.nn.Linear(2, 1)
    >>> x = torch.ones(1, 2)
    >>> before = layer(x).item()
    >>> rescale_output(layer, np.array([2.0]), np.array([1.0]))
    >>> bool(abs(layer(x).item() - (2 * before + 1)) < 1e-5)
    True
    """
    weight, bias = output.weight, output.bias
    factor_t = torch.as_tensor(np.asarray(factor), dtype=weight.dtype, device=weight.device)
    shift_t = torch.as_tensor(np.asarray(shift), dtype=bias.dtype, device=bias.device)
    with torch.no_grad():
        weight.mul_(factor_t[:, None])
        bias.mul_(factor_t).add_(shift_t)


def beats_the_median(
    module: torch.nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = 8192
) -> bool:
    """Whether ``module`` predicts ``y`` from ``X`` with a lower mean absolute error than
    the median of ``y`` does (the best constant under that error).

    Fine-tuning with ``reset_output="auto"`` asks it of the pretrained network, its output
    layer restated in the new target's units, on the new training rows: a source whose
    predictions say something about the new target keeps its output layer; one that does
    not (another property, whose restated predictions may be off by orders of magnitude)
    gets a new one. The network is evaluated as trained (batch norm with its running
    statistics) and left in the mode it was in.

    Parameters
    ----------
    module : torch.nn.Module
        A network mapping ``(n, n_features)`` to ``(n, n_outputs)``.
    X : ndarray of shape (n_samples, n_features)
        Inputs, as the network takes them.
    y : ndarray of shape (n_samples, n_outputs)
        Targets, in the units the network predicts.
    batch_size : int, default=8192
        Rows per forward pass.

    Returns
    -------
    bool
        True when the network's mean absolute error (over all rows and targets) is the
        lower of the two.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skirnet._fine_tuning import beats_the_median
    >>> X = np.arange(10, dtype=np.float32)[:, None]
    >>> identity = torch.nn.Linear(1, 1)
    >>> with torch.no_grad():
    ...     _ = identity.weight.fill_(1.0), identity.bias.zero_()
    >>> beats_the_median(identity, X, X), beats_the_median(identity, X, -X)
    (True, False)
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
    parameter = next(module.parameters())
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            chunks = [
                module(
                    torch.as_tensor(
                        np.asarray(X[i : i + batch_size]),
                        dtype=parameter.dtype,
                        device=parameter.device,
                    )
                )
                .double()
                .cpu()
                .numpy()
                for i in range(0, len(X), batch_size)
            ]
    finally:
        module.train(was_training)
    predicted = np.concatenate(chunks).reshape(y.shape)
    model_error = float(np.mean(np.abs(predicted - y)))
    constant_error = float(np.mean(np.abs(y - np.median(y, axis=0))))
    return model_error < constant_error


def freeze_first_layers(module: torch.nn.Module, n_layers: int) -> None:
    """Stop training the first ``n_layers`` hidden layers (and the skips into them).

    A layer is one :class:`~skirnet.nn.DenseUnit` (linear, batch norm, ReLU), counted as
    the paper counts depth. Their batch-norm statistics still follow the new data.
    """
    if n_layers == 0:
        return
    units = [m for m in module.hidden.modules() if isinstance(m, DenseUnit)]
    if n_layers > len(units):
        raise ValueError(
            f"freeze_layers={n_layers}, but the network has {len(units)} hidden layers."
        )
    frozen = set()
    for unit in units[:n_layers]:
        frozen.add(id(unit))
        for parameter in unit.parameters():
            parameter.requires_grad_(False)
    for block in module.hidden:
        first = next((m for m in block.modules() if isinstance(m, DenseUnit)), None)
        shortcut = getattr(block, "shortcut", None)
        if first is not None and id(first) in frozen and shortcut is not None:
            for parameter in shortcut.parameters():  # none for an identity skip
                parameter.requires_grad_(False)
