"""skirnet: deep residual regressors for materials informatics, the scikit-learn way.

Featurizers turn formulas and crystal structures into the paper's descriptors; the
estimators are IRNet, SRNet and plain deep networks of Jha et al. (Sci. Rep. 11:4244,
2021) with scikit-learn's interface; ``save``/``load`` keep fitted networks without pickle.
Datasets, baselines and plots live in :mod:`skirnet.datasets`, :mod:`skirnet.baselines`
and :mod:`skirnet.plotting`.
"""

from skirnet._version import __version__
from skirnet.estimators import (
    IRNetRegressor,
    PlainNetRegressor,
    ResidualNetRegressor,
    SRNetRegressor,
)
from skirnet.featurizers import CompositionFeaturizer, StructureFeaturizer
from skirnet.persistence import load, save

__all__ = [
    "CompositionFeaturizer",
    "IRNetRegressor",
    "PlainNetRegressor",
    "ResidualNetRegressor",
    "SRNetRegressor",
    "StructureFeaturizer",
    "__version__",
    "load",
    "save",
]
