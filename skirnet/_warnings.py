"""Warnings that point at the user's line, not at skirnet's or scikit-learn's internals."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from pathlib import Path

import joblib
import sklearn

#: Packages whose frames stand between the user's call and the warning: skirnet itself,
#: scikit-learn's wrappers (set_output, pipelines, model selection) and joblib, which
#: scikit-learn calls through even without parallelism.
_INTERNAL = tuple(
    os.path.join(str(Path(package).resolve()), "")
    for package in (
        Path(__file__).parent,
        Path(sklearn.__file__).parent,
        Path(joblib.__file__).parent,
    )
)


@functools.lru_cache(maxsize=256)
def _is_internal(filename: str) -> bool:
    if not os.path.isabs(filename):  # "<string>", "<stdin>", "<frozen ...>": the user's
        return False
    try:
        return str(Path(filename).resolve()).startswith(_INTERNAL)
    except (OSError, RuntimeError):
        return False


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, attributing the warning to the first frame outside skirnet, scikit-learn and joblib.

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
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
        stacklevel += 1
    warnings.warn(message, category, stacklevel=stacklevel)
