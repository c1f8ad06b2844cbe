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

from _common import report, use_shared_data
from _structure_features import CHUNK_SIZE, featurize_set

SETS = ("mp_2018", "matbench_phonons")


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
