"""Benchmark: StructureFeaturizer vs matminer on Materials Project structures.

``bench_structure(n)`` featurizes the same ``n`` structures (a fixed random
sample of ``mp_2018_36737.csv.gz``) with matminer's five Ward et al. (2017)
featurizers and with :class:`skirnet.featurizers.structure.StructureFeaturizer`,
in the same run, and reports timings and the largest absolute difference.

Run alone: ``python benchmarks/_structure_bench.py [n_structures]`` prints a table
and writes ``benchmarks/results/featurize_structure.json``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _common import machine_info, write_json

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SKIRNET_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
CSV = DATA / "structure" / "mp_2018_36737.csv.gz"
RESULT = REPO_ROOT / "benchmarks" / "results" / "featurize_structure.json"


def load_structures(n_structures: int = 200, seed: int = 0) -> list:
    """A fixed random sample of MP structures, parsed from their CIFs."""
    import pandas as pd
    from pymatgen.core import Structure

    df = pd.read_csv(CSV, usecols=["material_id", "cif"]).sample(n_structures, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [Structure.from_str(cif, fmt="cif") for cif in df["cif"]]


def _matminer(structures: list) -> np.ndarray:
    from matminer.featurizers.base import MultipleFeaturizer

    from skirnet.featurizers.structure import _matminer_featurizers

    mf = MultipleFeaturizer(list(_matminer_featurizers()))
    n_labels = len(mf.feature_labels())
    rows = []
    for s in structures:
        try:
            rows.append(np.asarray(mf.featurize(s), dtype=float))
        except Exception:
            rows.append(np.full(n_labels, np.nan))
    return np.vstack(rows)


def _row(name: str, n: int, ours_s: float, mm_s: float, diff: float) -> dict:
    return {
        "featurizer": name,
        "rows": n,
        "ours_s": round(ours_s, 3),
        "matminer_s": round(mm_s, 3),
        "ours_rows_per_s": round(n / ours_s, 2),
        "matminer_rows_per_s": round(n / mm_s, 3),
        "speedup": round(mm_s / ours_s, 1),
        "max_abs_diff": diff,
    }


def bench_structure(n_structures: int = 200) -> list[dict]:
    """Time StructureFeaturizer against matminer on the same structures.

    Returns
    -------
    rows : list of dict
        Keys featurizer, rows, ours_s, matminer_s, ours_rows_per_s,
        matminer_rows_per_s, speedup, max_abs_diff.  The first row compares
        one process with one process; the second runs StructureFeaturizer
        with ``n_jobs=-1`` against the same single-process matminer time.
    """
    from skirnet.featurizers.structure import StructureFeaturizer

    structures = load_structures(n_structures)
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    StructureFeaturizer().transform(structures[:1])  # warm up imports / element tables

    t0 = time.perf_counter()
    ours = StructureFeaturizer(errors="nan").transform(structures)
    ours_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ours_par = StructureFeaturizer(errors="nan", n_jobs=-1).transform(structures)
    par_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ref = _matminer(structures)
    mm_s = time.perf_counter() - t0

    if not np.array_equal(np.isnan(ours), np.isnan(ref)):
        raise AssertionError("StructureFeaturizer and matminer disagree on which values are NaN")
    diff = float(np.nanmax(np.abs(ours - ref))) if np.isfinite(ref).any() else float("nan")
    diff_par = float(np.nanmax(np.abs(ours_par - ref))) if np.isfinite(ref).any() else float("nan")
    n = len(structures)
    return [
        _row("StructureFeaturizer(ward2017)", n, ours_s, mm_s, diff),
        _row(
            "StructureFeaturizer(ward2017, n_jobs=-1) vs matminer 1 process",
            n,
            par_s,
            mm_s,
            diff_par,
        ),
    ]


def main(argv: list[str] | None = None) -> list[dict]:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 200
    rows = bench_structure(n)
    keys = ["featurizer", "rows", "ours_s", "matminer_s", "speedup", "max_abs_diff"]
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(str(r[k]) for k in keys))
    payload = {
        "benchmark": "featurize_structure",
        "command": "python benchmarks/_structure_bench.py " + " ".join(argv),
        "data": str(CSV.name),
        "sample": f"{n} structures, pandas .sample(random_state=0)",
        "machine": machine_info(featurizers=True),
        "rows": rows,
    }
    write_json(RESULT, payload)
    return rows


if __name__ == "__main__":
    main()
