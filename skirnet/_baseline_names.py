"""The classical baselines' names and labels: the one list of them, importing nothing.

:mod:`skirnet.baselines` builds the models and re-exports these; the command line lists
the choices of ``--models`` from here without loading scikit-learn.
"""

from __future__ import annotations

__all__ = ["BASELINE_LABELS", "BASELINE_NAMES"]

#: The baselines by name, with the label tables and plots give each (the one list of them:
#: the command line's ``--models`` and the comparison's labels read it).
BASELINE_LABELS: dict[str, str] = {
    "linear": "Linear",
    "sgd": "SGD",
    "elasticnet": "ElasticNet",
    "adaboost": "AdaBoost",
    "ridge": "Ridge",
    "svr": "SVR",
    "tree": "Tree",
    "rf": "RF",
    "hgb": "HGB",
}
#: The baselines' names, in the order of :data:`BASELINE_LABELS`.
BASELINE_NAMES: tuple[str, ...] = tuple(BASELINE_LABELS)
