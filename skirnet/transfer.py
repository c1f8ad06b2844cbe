"""Transfer learning from a trained network: fine-tuning and feature extraction.

Two modes, after Gupta et al. (Nat. Commun. 12:6595, 2021):

* **fine-tuning** — ``IRNetRegressor(pretrained="oqmd-formation-enthalpy")`` starts from
  the weights of a trained network (a model shipped in :mod:`skirnet.pretrained`, or a
  folder written by :func:`skirnet.save`) instead of random ones; the estimators call
  :func:`load_source` and :func:`initialise_from` here;
* **feature extraction** — :class:`NetworkActivations` turns inputs into the activations of
  one hidden layer of a trained network, as features for any regressor.

Only the network is taken over: the features a pretrained model expects (for a shipped
model, its featurizer followed by its standardisation and clip) are the caller's to give;
:func:`make_fine_tuning_pipeline` builds that pipeline for formulas.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from skirnet.feature_sets import feature_set_of_preset
from skirnet.featurizers import CompositionFeaturizer
from skirnet.nn import DenseUnit
from skirnet.persistence import load
from skirnet.pipeline import PIPELINE_FILE, _clipper, _read_spec, _scaler
from skirnet.pretrained import list_models, resolve

__all__ = [
    "NetworkActivations",
    "make_fine_tuning_pipeline",
    "source_scaler",
    "check_inputs",
    "freeze_first_layers",
    "initialise_from",
    "load_source",
    "rescale_output",
    "source_feature_set",
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


def source_feature_set(pretrained: str | os.PathLike[str]) -> str | None:
    """The feature set a pretrained formula pipeline reads, by its featurizer.

    Parameters
    ----------
    pretrained : str or path-like
        A shipped model's name or a folder written by ``skirnet train``.

    Returns
    -------
    str or None
        ``"composition"``, ``"composition+fractions"`` or ``"fractions"``; None for a bare
        network folder (no featurizer) or a model of crystal structures.

    Examples
    --------
    >>> from skirnet.transfer import source_feature_set
    >>> source_feature_set("oqmd-band-gap")
    'composition'
    """
    spec_file = resolve(pretrained) / PIPELINE_FILE
    if not spec_file.is_file():
        return None
    featurizer = _read_spec(spec_file)["featurizer"]
    if featurizer.get("class") != "CompositionFeaturizer":
        return None
    return feature_set_of_preset(featurizer["params"].get("preset", "irnet"))


def load_source(pretrained: str | os.PathLike[str]) -> Any:
    """The trained network behind ``pretrained``, on the CPU.

    Parameters
    ----------
    pretrained : str or path-like
        A name from :func:`skirnet.pretrained.list_models`, a folder written by
        :func:`skirnet.save`, or one written by ``skirnet train``.

    Returns
    -------
    ResidualNetRegressor
        The fitted network.

    Raises
    ------
    FileNotFoundError
        Neither a shipped model's name nor a saved model's folder.

    Examples
    --------
    >>> from skirnet.transfer import load_source
    >>> load_source("oqmd-formation-enthalpy").n_features_in_  # Magpie + element fractions
    231
    """
    from skirnet.persistence import load

    folder = source_folder(pretrained)
    if not folder.exists():
        raise FileNotFoundError(
            f"pretrained={str(pretrained)!r} is neither a shipped model "
            f"({', '.join(list_models())}) nor a folder written by skirnet.save"
        )
    return load(folder, device="cpu")


def source_for(estimator: Any, n_features: int) -> Any:
    """The network an estimator's ``pretrained`` names, checked against it and X (or None)."""
    if estimator.pretrained is None:
        if estimator.freeze_layers:
            raise ValueError("freeze_layers needs a pretrained network (pretrained=...).")
        return None
    source = load_source(estimator.pretrained)
    if type(source) is not type(estimator):
        raise ValueError(
            f"pretrained={str(estimator.pretrained)!r} is a {type(source).__name__}; fine-tune "
            f"it with {type(source).__name__}, not {type(estimator).__name__}."
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
    >>> from skirnet.transfer import rescale_output
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


def source_scaler(pretrained: str | Path) -> Any:
    """The standardisation a pretrained network was trained behind, frozen; else a new one.

    A shipped model (or a folder from ``skirnet train``) carries its scaler: fine-tuning
    behind the same one gives the network the inputs it knows. A bare network folder
    (:func:`skirnet.save`) has none: a :class:`~sklearn.preprocessing.StandardScaler` is
    fitted to the new data then.

    Parameters
    ----------
    pretrained : str or Path
        A shipped model's name or a model folder.

    Returns
    -------
    sklearn.frozen.FrozenEstimator or StandardScaler

    Examples
    --------
    >>> source_scaler("oqmd-formation-enthalpy").estimator.n_features_in_
    231
    """
    from sklearn.frozen import FrozenEstimator

    folder = resolve(pretrained)
    if not (folder / PIPELINE_FILE).is_file():
        return StandardScaler()
    # FrozenEstimator: fit does nothing and clone returns it as it is (grid searches too)
    return FrozenEstimator(_scaler(_read_spec(folder / PIPELINE_FILE), folder / PIPELINE_FILE))


def make_fine_tuning_pipeline(
    pretrained: str | Path = "oqmd-formation-enthalpy", **net_params: Any
) -> Pipeline:
    """A formula pipeline that fine-tunes a pretrained model on a new target.

    The featurizer and the (frozen) standardisation are the pretrained model's, so the
    network sees inputs like those it was trained on; the network starts from its
    weights (``pretrained=...``).

    Parameters
    ----------
    pretrained : str or Path, default="oqmd-formation-enthalpy"
        A shipped model's name or a folder written by ``skirnet train``.
    **net_params
        Further parameters of the network (``max_epochs``, ``lr``, ``freeze_layers``,
        ``reset_output``, ...).

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``featurize`` / ``scale`` / ``clip`` / ``net``, unfitted; it fits on formulas.

    Examples
    --------
    >>> pipe = make_fine_tuning_pipeline(max_epochs=5, lr=1e-4)
    >>> pipe.named_steps["net"].pretrained, type(pipe.named_steps["net"]).__name__
    ('oqmd-formation-enthalpy', 'IRNetRegressor')
    """
    folder = resolve(pretrained)
    if not (folder / PIPELINE_FILE).is_file():
        raise FileNotFoundError(
            f"{pretrained}: not a shipped model's name nor a folder from 'skirnet train' "
            f"(no {PIPELINE_FILE}); for a bare network folder use "
            "IRNetRegressor(pretrained=...) behind your own features"
        )
    spec = _read_spec(folder / PIPELINE_FILE)
    featurizer = CompositionFeaturizer(**{**spec["featurizer"]["params"], "progress": None})
    source = load(folder / spec["net_dir"])
    net = type(source)(pretrained=str(pretrained), **net_params)
    clip = spec.get("clip")
    return Pipeline(
        [
            ("featurize", featurizer),
            ("scale", source_scaler(pretrained)),
            ("clip", _clipper(float(clip)) if clip is not None else "passthrough"),
            ("net", net),
        ]
    )


class NetworkActivations(TransformerMixin, BaseEstimator):
    """Activations of one hidden layer of a trained network, as features.

    Gupta et al.'s feature-extraction mode of transfer learning: the pretrained network is
    not trained further; its ``layer``-th hidden layer's output describes each input, and
    any regressor (a random forest, say) learns the new target from it.

    Parameters
    ----------
    pretrained : str or path-like, default="oqmd-formation-enthalpy"
        A shipped model's name or a folder written by :func:`skirnet.save`.
    layer : int, default=-1
        Which hidden layer (after its ReLU and skip), counted from 1 like the paper's
        depth; negative counts from the last (``-1``: the layer before the output).
    batch_size : int, default=8192
        Rows per forward pass.

    Attributes
    ----------
    network_ : ResidualNetRegressor
        The pretrained network.
    n_features_in_ : int
        Number of input features (the network's).
    n_features_out_ : int
        Width of the chosen layer.

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet.transfer import NetworkActivations
    >>> X = np.zeros((3, 231))  # the shipped model's inputs: Magpie + element fractions
    >>> NetworkActivations(layer=-1).fit(X).transform(X).shape
    (3, 32)
    """

    _parameter_constraints: ClassVar[dict] = {
        "pretrained": [str, os.PathLike],
        "layer": [Interval(numbers.Integral, None, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        pretrained: str | os.PathLike[str] = "oqmd-formation-enthalpy",
        *,
        layer: int = -1,
        batch_size: int = 8192,
    ) -> None:
        self.pretrained = pretrained
        self.layer = layer
        self.batch_size = batch_size

    def fit(self, X: Any, y: Any = None) -> NetworkActivations:
        """Load the pretrained network and check ``X`` against it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features the network was trained on.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        network = load_source(self.pretrained)
        X = validate_data(self, X, dtype=np.float32)
        check_inputs(
            network, X.shape[1], getattr(self, "feature_names_in_", None), self.pretrained
        )
        n_layers = len(self._layer_outputs(network))
        index = self.layer - 1 if self.layer > 0 else n_layers + self.layer
        if not 0 <= index < n_layers:
            raise ValueError(f"layer={self.layer}, but the network has {n_layers} hidden layers.")
        self.network_, self._index = network, index
        self.n_features_out_ = self._layer_outputs(network)[index]
        return self

    @staticmethod
    def _layer_outputs(network: Any) -> list[int]:
        """Output width of every hidden layer, in order."""
        return [width for width, count in network.architecture_ for _ in range(count)]

    def transform(self, X: Any) -> np.ndarray:
        """The chosen layer's activations.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, ``n_features_out_``)
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        module = self.network_.module_.eval()
        captured: list[torch.Tensor] = []
        target = _layer_module(module, self._index)
        handle = target.register_forward_hook(lambda m, i, out: captured.append(out.detach()))
        out = []
        try:
            with torch.no_grad():
                for start in range(0, len(X), self.batch_size):
                    captured.clear()
                    module(torch.from_numpy(X[start : start + self.batch_size]))
                    out.append(captured[-1].numpy())
        finally:
            handle.remove()
        return np.concatenate(out) if out else np.empty((0, self.n_features_out_), np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """``activation0``, ``activation1``, ... of the chosen layer."""
        check_is_fitted(self, "network_")
        return np.asarray([f"activation{i}" for i in range(self.n_features_out_)], dtype=object)


def _layer_module(module: torch.nn.Module, index: int) -> torch.nn.Module:
    """The submodule whose output is hidden layer ``index`` (0-based).

    That is the layer's ReLU output, plus the skip where one ends at that layer: IRNet has
    a residual block per layer, SRNet one per stack (ending at its last layer), PlainNet
    none.
    """
    seen = 0
    for block in module.hidden:
        units = [m for m in block.modules() if isinstance(m, DenseUnit)]
        if seen + len(units) > index:
            inner = index - seen
            # the last layer of a block with a skip: the block's own output includes the skip
            return block if inner == len(units) - 1 else units[inner]
        seen += len(units)
    raise IndexError(index)
