"""skirnet: deep residual regressors for materials informatics, the scikit-learn way."""

from skirnet._version import __version__

__all__ = ["__version__"]
