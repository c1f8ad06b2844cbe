"""Warnings that point at the user's line, not at skirnet's or scikit-learn's internals."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import sklearn

_INTERNAL = tuple(
    str(Path(package).resolve())
    for package in (Path(__file__).parent, Path(sklearn.__file__).parent)
)


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, attributing the warning to the first frame outside skirnet and scikit-learn.

    A transformer's warning otherwise names a line inside scikit-learn's ``set_output``
    wrapper or a pipeline, which tells the user nothing.

    Parameters
    ----------
    message : str
        The warning text.
    category : Warning subclass, default=UserWarning
        The warning class.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("careful")
    >>> caught[0].filename.endswith("_warnings.py")
    False
    """
    frame = sys._getframe(1)
    stacklevel = 2  # the caller of this function
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _INTERNAL
    ):
        frame = frame.f_back
        stacklevel += 1
    warnings.warn(message, category, stacklevel=stacklevel)
