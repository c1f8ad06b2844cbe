"""The kinds of network skirnet trains: one table, read by the estimators and the files.

Each estimator class is named here with its short name (the command line's ``--models``),
its label in tables and plots, where its skips go (:data:`skirnet.nn.SHORTCUTS`) and its\nstyle in figures.
:mod:`skirnet.estimators` builds its classes from it and a saved network's folder is read
with it, so the two never disagree. The module imports nothing, so the lowest layers can
read it.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["NETWORK_KINDS", "NetworkKind"]


class NetworkKind(NamedTuple):
    """One kind of network: its short name, its label, where its skips go, how it is drawn.

    ``figure_rank`` orders the kinds in figures as the paper's do (fewest skips first);
    ``marker`` and ``color`` are its matplotlib style there.
    """

    name: str
    label: str
    shortcut: str
    figure_rank: int
    marker: str
    color: str


#: Estimator class name -> its kind, in the order the command line lists them.
NETWORK_KINDS: dict[str, NetworkKind] = {
    "IRNetRegressor": NetworkKind("irnet", "IRNet", "individual", 2, "^", "tab:red"),
    "SRNetRegressor": NetworkKind("srnet", "SRNet", "stacked", 1, "s", "tab:blue"),
    "PlainNetRegressor": NetworkKind("plain", "PlainNet", "none", 0, "o", "tab:gray"),
}
