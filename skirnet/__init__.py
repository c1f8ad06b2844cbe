"""skirnet: deep residual regressors for materials informatics, the scikit-learn way."""

from skirnet._version import __version__
from skirnet.estimators import (
    IRNetRegressor,
    PlainNetRegressor,
    ResidualNetRegressor,
    SRNetRegressor,
)
from skirnet.persistence import load, save

__all__ = [
    "IRNetRegressor",
    "PlainNetRegressor",
    "ResidualNetRegressor",
    "SRNetRegressor",
    "__version__",
    "load",
    "save",
]
