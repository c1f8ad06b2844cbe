"""A comparison run, saved and printed: what ``skirnet demo`` and ``skirnet compare`` share.

The library fits and scores (:func:`skirnet.comparison.run_comparison`) and writes the
files (:meth:`skirnet.comparison.ComparisonResult.save`); this module says what it is
doing for a Ctrl-C, and prints the table, its notes and the files written.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from skirnet.cli._common import note_replacing
from skirnet.cli._interrupts import doing

__all__ = ["run_and_report"]


def run_and_report(
    args: argparse.Namespace,
    models: dict[str, Any],
    X: Any,
    y: Any,
    *,
    verdict: Callable[[Any], str] | None = None,
    **kw: Any,
) -> int:
    """Run, save and print a comparison (``demo``, ``compare``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``--out``) and the command's start time (``start``).
    models : dict of str to estimator
        The models to compare.
    X, y : array-like
        Training rows (all rows, for a shuffled split or cross-validation).
    verdict : callable, optional
        Turns the results table into a sentence printed under it.
    **kw
        Passed to :func:`skirnet.comparison.run_comparison`; ``info`` (with its
        ``unit``) is required.

    Returns
    -------
    int
        The exit status, 0.
    """
    import torch

    from skirnet.comparison import run_comparison

    def on_fit(name: str, fold: int) -> None:
        doing(f"training {name}", *([f"fold {fold + 1} of {kw['cv']}"] if kw.get("cv") else []))

    info, units = kw["info"], kw["info"].get("unit")
    info["torch_threads"] = torch.get_num_threads()
    note_replacing(args.out / "results.json", f"results in {args.out}")
    result = run_comparison(models, X, y, on_fit=on_fit, **kw)
    result.info["fit_seconds"] = time.perf_counter() - args.start
    doing(f"writing the results to {args.out}", saved=f"{args.out} has no results.json")
    files = result.save(args.out, units=units)
    print(f"\n{result.table(units=units)}")
    hit = result.results.get("time_budget_hit")
    if hit is not None and hit.eq(True).any():
        names = ", ".join(dict.fromkeys(result.results.loc[hit.eq(True), "model"]))
        print(
            f"Note: {names} stopped at the time budget (weights of the best validation "
            "epoch kept); more epochs would likely lower the MAE."
        )
    if verdict is not None:
        print(verdict(result.results))
    print()
    for kind, path in files.items():
        print(f"wrote {kind:16s} {path}")
    print(f"total time {time.perf_counter() - args.start:.1f} s")
    return 0
