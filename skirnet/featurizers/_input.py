"""Input metadata of the featurizers, recorded as scikit-learn transformers do.

This module never imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["record_input_columns"]


def record_input_columns(transformer: Any, X: Any) -> None:
    """Set ``n_features_in_`` and ``feature_names_in_`` for the input ``X`` of ``fit``.

    ``n_features_in_`` is the number of columns of a DataFrame or 2-D array (the
    featurizer reads one of them) and 1 for a 1-D sequence of formulas or structures.
    ``feature_names_in_`` is set only for a DataFrame whose column names are all
    strings, and removed otherwise, so that a refit never keeps stale names.

    Parameters
    ----------
    transformer : object
        The featurizer being fitted.
    X : DataFrame, Series, ndarray or sequence
        The input of ``fit``.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t = SimpleNamespace()
    >>> record_input_columns(t, pd.DataFrame({"formula": ["NaCl"], "y": [1.0]}))
    >>> t.n_features_in_, list(t.feature_names_in_)
    (2, ['formula', 'y'])
    >>> record_input_columns(t, ["NaCl"])
    >>> t.n_features_in_, hasattr(t, "feature_names_in_")
    (1, False)
    """
    names = None
    if isinstance(X, pd.DataFrame):
        n_features = X.shape[1]
        if all(isinstance(c, str) for c in X.columns):
            names = np.asarray(X.columns, dtype=object)
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        n_features = X.shape[1]
    else:
        n_features = 1
    transformer.n_features_in_ = n_features
    if names is not None:
        transformer.feature_names_in_ = names
    elif hasattr(transformer, "feature_names_in_"):
        del transformer.feature_names_in_
