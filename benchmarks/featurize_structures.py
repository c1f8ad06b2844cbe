"""Every crystal of mp_2018 (36,737) and matbench_phonons (1,265), featurized and cached.

    python benchmarks/featurize_structures.py                   # both sets, every core
    python benchmarks/featurize_structures.py --sets mp_2018 --jobs 1

StructureFeaturizer(composition=True): the 128 Ward et al. (2017) structure attributes
followed by the 145 composition attributes, from the raw CIF text / Structure dicts
(parsing is part of the work timed). Chunks of ``--chunk-size`` crystals are written to
``benchmarks/cache/structures/<set>/`` as they finish (featurize_to_folder): an
interrupted run loses one chunk and a rerun continues. Crystals that fail are listed by
id with the reason. Results: ``benchmarks/results/featurize_structures.json`` (time and
rate of the crystals computed in this run, machine); benchmarks/structures.py reads the
cached features.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import report, use_shared_data

CACHE = Path(__file__).resolve().parent / "cache" / "structures"
SETS = ("mp_2018", "matbench_phonons")
CHUNK_SIZE = 500


def featurize_set(name: str, jobs: int, chunk_size: int = CHUNK_SIZE, progress: bool = True):
    """(features DataFrame, failures DataFrame, targets, seconds, rows computed now)."""
    from skirnet.datasets import load_structure_dataset
    from skirnet.featurizers import StructureFeaturizer, featurize_to_folder

    data = load_structure_dataset(name, parse=False)
    folder = CACHE / name
    done = len(list(folder.glob("chunk-*.npz"))) if folder.exists() else 0
    start = time.perf_counter()
    X, failures = featurize_to_folder(
        StructureFeaturizer(composition=True, n_jobs=jobs),
        data.data,
        folder,
        ids=data.ids,
        chunk_size=chunk_size,
        progress_bar=progress,
    )
    seconds = time.perf_counter() - start
    computed = max(0, len(X) - done * chunk_size)
    return X, failures, data.target, seconds, computed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--jobs", type=int, default=-1, help="featurizer processes")
    args = parser.parse_args()
    use_shared_data()
    rows = []
    for name in args.sets.split(","):
        X, failures, _, seconds, computed = featurize_set(name, args.jobs)
        rows.append(
            {
                "set": name,
                "crystals": len(X),
                "features": X.shape[1],
                "failed": len(failures),
                "computed_now": computed,
                "wall_s": round(seconds, 1),
                "crystals_per_s": round(computed / seconds, 1) if computed else None,
                "failures": failures.to_dict("records"),
            }
        )
        print(f"{name}: {len(X)} crystals, {len(failures)} failed, {seconds:.0f} s", flush=True)
    columns = ["set", "crystals", "features", "failed", "computed_now", "wall_s", "crystals_per_s"]
    suffix = "" if args.sets == ",".join(SETS) else "_" + args.sets.replace(",", "_")
    report(f"featurize_structures{suffix}", rows, columns, jobs=args.jobs, chunk_size=CHUNK_SIZE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
