"""Benchmark of :class:`skirnet.featurizers.CompositionFeaturizer` against matminer.

Used by ``benchmarks/featurize.py``; can also be run alone::

    python benchmarks/_composition_bench.py [--n-formulas 10000] [--exactness-full]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _common import RESULTS, SHARED, write_json

DATA = SHARED / "data" / "composition" / "oqmd_formation_enthalpy"


def _matminer_featurizer(preset: str = "irnet"):
    from matminer.featurizers.base import MultipleFeaturizer
    from matminer.featurizers.composition import (
        ElementProperty,
        IonProperty,
        Stoichiometry,
        ValenceOrbital,
    )

    return MultipleFeaturizer(
        [
            Stoichiometry(),
            ElementProperty.from_preset("magpie"),
            ValenceOrbital(props=["avg"] if preset == "irnet" else ["frac"]),
            IonProperty(fast=True),
        ]
    )


def _matminer(formulas: list[str], preset: str = "irnet") -> np.ndarray:
    """matminer, single process: Composition parsing + MultipleFeaturizer.featurize per formula."""
    from pymatgen.core import Composition

    mf = _matminer_featurizer(preset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([mf.featurize(Composition(f)) for f in formulas], dtype=np.float64)


def _max_diff(ours: np.ndarray, ref: np.ndarray) -> tuple[float, int]:
    """Max |Δ| relative to max(1, |ref|), and the number of NaN-pattern mismatches."""
    nan_mismatch = int((np.isnan(ours) != np.isnan(ref)).sum())
    rel = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))
    return float(np.nanmax(rel)) if rel.size else 0.0, nan_mismatch


def _row(name: str, rows: int, ours_s: float, matminer_s: float | None, diff) -> dict:
    return {
        "featurizer": name,
        "rows": rows,
        "ours_s": round(ours_s, 4),
        "matminer_s": None if matminer_s is None else round(matminer_s, 3),
        "ours_rows_per_s": round(rows / ours_s, 1),
        "matminer_rows_per_s": None if matminer_s is None else round(rows / matminer_s, 1),
        "speedup": None if matminer_s is None else round(matminer_s / ours_s, 1),
        "max_abs_diff": diff,
    }


def _oqmd(split: str) -> pd.Series:
    return pd.read_csv(DATA / f"{split}.csv.gz").formula


def bench_composition(
    n_formulas: int = 10_000, full: bool = True, exactness_full: bool = False, repeats: int = 3
) -> list[dict]:
    """Time ours vs matminer on the same formulas; time ours on all of OQMD.

    Parameters
    ----------
    n_formulas : int, default=10000
        Random (seed 0) OQMD test formulas featurized by both, side by side.
    full : bool, default=True
        Also time ours on all 341,700 OQMD formation-enthalpy formulas
        (train+val+test), serial and with ``n_jobs=2``.
    exactness_full : bool, default=False
        Also compare with matminer on all 51,255 OQMD test formulas (slow).
    repeats : int, default=3
        Side-by-side runs on the ``n_formulas`` formulas; the row reports the
        median of each side's times and keeps every run's speed-up.

    Returns
    -------
    list of dict
        One row per measurement (featurizer, rows, ours_s, matminer_s,
        ours_rows_per_s, matminer_rows_per_s, speedup, max_abs_diff).
    """
    from skirnet.featurizers import CompositionFeaturizer

    test = _oqmd("test")
    formulas = test.sample(n_formulas, random_state=0).tolist()
    feat = CompositionFeaturizer(progress_bar=False).fit(formulas[:1])
    feat.transform(formulas[:10])  # warm the element-table caches (one-off ~0.5 s)

    rows = []
    ours_times, mm_times, speedups = [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        ours = feat.transform(formulas)
        ours_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = _matminer(formulas)
        mm_times.append(time.perf_counter() - t)
        speedups.append(round(mm_times[-1] / ours_times[-1], 1))
    diff, nan_mismatch = _max_diff(ours, ref)
    name = f"composition irnet ({n_formulas} OQMD, median of {repeats})"
    rows.append(
        _row(name, n_formulas, float(np.median(ours_times)), float(np.median(mm_times)), diff)
    )
    rows[-1]["nan_mismatch"] = nan_mismatch
    rows[-1]["speedup_each_run"] = speedups

    if exactness_full:
        all_test = test.tolist()
        t = time.perf_counter()
        ours = feat.transform(all_test)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        ref = _matminer(all_test)
        mm_s = time.perf_counter() - t
        diff, nan_mismatch = _max_diff(ours, ref)
        rows.append(_row("composition irnet (all OQMD test)", len(all_test), ours_s, mm_s, diff))
        rows[-1]["nan_mismatch"] = nan_mismatch

    if full:
        everything = pd.concat([_oqmd(s) for s in ("train", "val", "test")]).tolist()
        for n_jobs in (None, 2):
            feat.set_params(n_jobs=n_jobs)
            t = time.perf_counter()
            out = feat.transform(everything)
            ours_s = time.perf_counter() - t
            name = f"composition irnet (full OQMD, n_jobs={n_jobs})"
            rows.append(_row(name, len(everything), ours_s, None, None))
            rows[-1]["nan_rows"] = int(np.isnan(out).any(axis=1).sum())
        feat.set_params(n_jobs=None)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-formulas", type=int, default=10_000)
    parser.add_argument("--exactness-full", action="store_true")
    parser.add_argument("--no-full", action="store_true", help="skip the full-OQMD timing")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = bench_composition(args.n_formulas, not args.no_full, args.exactness_full, args.repeats)
    for r in rows:
        print(r)
    write_json(RESULTS / "featurize_composition.json", {"results": rows})


if __name__ == "__main__":
    main()
