"""Transfer learning from a trained network: fine-tuning and feature extraction.

Two modes, after Gupta et al. (Nat. Commun. 12:6595, 2021):

* **fine-tuning** — ``IRNetRegressor(pretrained="oqmd-formation-enthalpy")`` starts from
  the weights of a trained network (a model shipped in :mod:`skirnet.pretrained`, or a
  folder written by :func:`skirnet.save`) instead of random ones (the estimators do it
  through the internal ``skirnet._fine_tuning``; :func:`load_source` gives the source
  network itself);
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
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from skirnet._fine_tuning import check_inputs, source_folder
from skirnet._network_file import read_network
from skirnet._network_kinds import NETWORK_KINDS
from skirnet._warnings import moved_names
from skirnet.feature_sets import feature_set_of_preset
from skirnet.featurizers import CompositionFeaturizer
from skirnet.nn import DenseUnit
from skirnet.persistence import load
from skirnet.pipeline import (
    PIPELINE_FILE,
    feature_clipper,
    read_spec,
    source_scaler,
)
from skirnet.pretrained import list_models, resolve

__all__ = [
    "NetworkActivations",
    "load_source",
    "make_fine_tuning_pipeline",
    "source_feature_set",
    "source_network",
]


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
    featurizer = read_spec(spec_file)["featurizer"]
    if featurizer.get("class") != "CompositionFeaturizer":
        return None
    return feature_set_of_preset(featurizer["params"].get("preset", "irnet"))


def _existing_source(pretrained: str | os.PathLike[str]) -> Path:
    """The network folder ``pretrained`` names; a clear error when there is none."""
    folder = source_folder(pretrained)
    if not folder.exists():
        raise FileNotFoundError(
            f"pretrained={str(pretrained)!r} is neither a shipped model "
            f"({', '.join(list_models())}) nor a folder written by skirnet.save"
        )
    return folder


def source_network(pretrained: str | os.PathLike[str]) -> str:
    """The kind of network a pretrained model is: ``"irnet"``, ``"srnet"`` or ``"plain"``.

    Only a network of that kind can start from its weights (``pretrained=...``).

    Parameters
    ----------
    pretrained : str or path-like
        A shipped model's name or a folder written by :func:`skirnet.save` or
        ``skirnet train``.

    Returns
    -------
    name : str
        The network's name in :data:`skirnet.estimators.NETWORKS`.

    Raises
    ------
    FileNotFoundError
        Neither a shipped model's name nor a saved model's folder.

    Examples
    --------
    >>> from skirnet.transfer import source_network
    >>> source_network("oqmd-formation-enthalpy")
    'irnet'
    """
    return NETWORK_KINDS[read_network(_existing_source(pretrained)).class_name].name


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

    return load(_existing_source(pretrained), device="cpu")


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
    spec = read_spec(folder / PIPELINE_FILE)
    featurizer = CompositionFeaturizer(**{**spec["featurizer"]["params"], "progress": None})
    source = load(folder / spec["net_dir"])
    net = type(source)(pretrained=str(pretrained), **net_params)
    clip = spec.get("clip")
    return Pipeline(
        [
            ("featurize", featurizer),
            ("scale", source_scaler(pretrained)),
            ("clip", feature_clipper(float(clip)) if clip is not None else "passthrough"),
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


# internals that were exported here keep working, with a warning, for one release
__getattr__ = moved_names(
    "skirnet.transfer",
    {
        **{
            name: (f"skirnet._fine_tuning.{name}", f"skirnet._fine_tuning.{name} (internal)")
            for name in ("freeze_first_layers", "initialise_from", "rescale_output", "source_for")
        },
    },
)
