"""Warnings that point at the user's line, not at skirnet's or scikit-learn's internals."""

from __future__ import annotations

import functools
import importlib
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

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


def moved_names(module: str, moved: Mapping[str, str | tuple[str, str]]) -> Callable[[str], Any]:
    """Build a module-level ``__getattr__`` that keeps moved names working for one release.

    Each old name resolves to its new object, with a :class:`DeprecationWarning` that says
    where it lives now; any other name raises :class:`AttributeError` as usual.

    Parameters
    ----------
    module : str
        The old module's dotted name, for the messages (``"skirnet.training"``).
    moved : mapping of str to str or (str, str)
        Old name to the dotted path of the object that replaces it; or to a pair
        ``(dotted path, advice)`` where the new spelling is not a plain name (the
        warning then shows ``advice``).

    Returns
    -------
    callable
        Assign it to the module's ``__getattr__``.

    Examples
    --------
    >>> import warnings
    >>> getter = moved_names("old.module", {"join": "os.path.join"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getter("join") is importlib.import_module("os.path").join
    True
    >>> print(caught[0].message)
    old.module.join moved to os.path.join; the old name will be removed in the next release.
    """

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        target = moved[name]
        path, advice = (target, target) if isinstance(target, str) else target
        owner, _, attribute = path.rpartition(".")
        value = getattr(importlib.import_module(owner), attribute)
        warnings.warn(
            f"{module}.{name} moved to {advice}; the old name will be removed in the next "
            "release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__
