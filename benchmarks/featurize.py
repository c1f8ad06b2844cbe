"""Featurizer benchmark: skirnet vs matminer, composition and (if available) structure.

Usage::

    python benchmarks/featurize.py [--n-formulas 10000] [--n-structures 200]
                                   [--exactness-full] [--no-full] [--repeats 3]

Prints one table and writes ``benchmarks/results/featurize.json`` (with machine
info) and ``benchmarks/results/featurize_composition.json`` (composition rows).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import RESULTS, format_table, machine_info, write_json
from _composition_bench import bench_composition

try:
    from _structure_bench import bench_structure
except ImportError:  # the structure part is optional
    bench_structure = None

#: The table's columns and how each shows its values (None: "-").
COLUMNS = {
    "featurizer": "{}",
    "rows": "{:d}",
    "ours_s": "{:.3f}",
    "matminer_s": "{:.2f}",
    "ours_rows_per_s": "{:.0f}",
    "matminer_rows_per_s": "{:.0f}",
    "speedup": "{:.1f}",
    "max_abs_diff": "{:.2e}",
}


def table(rows: list[dict]) -> str:
    """The benchmark rows as a table, each column in its own format."""
    shown = [
        {
            name: "-" if r.get(name) is None else fmt.format(r[name])
            for name, fmt in COLUMNS.items()
        }
        for r in rows
    ]
    return format_table(shown, list(COLUMNS))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-formulas", type=int, default=10_000)
    parser.add_argument("--n-structures", type=int, default=200)
    parser.add_argument(
        "--exactness-full",
        action="store_true",
        help="also compare with matminer on all 51,255 OQMD test formulas (minutes)",
    )
    parser.add_argument("--no-full", action="store_true", help="skip the full-OQMD timing")
    parser.add_argument(
        "--repeats", type=int, default=3, help="side-by-side runs on the sample (median shown)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "featurize.json")
    args = parser.parse_args(argv)

    composition = bench_composition(
        args.n_formulas, not args.no_full, args.exactness_full, args.repeats
    )
    rows = list(composition)
    if args.n_structures == 0:
        print("(structure benchmark skipped: --n-structures 0)")
    elif bench_structure is not None:
        rows += bench_structure(n_structures=args.n_structures)
    else:
        print("(structure benchmark not available: benchmarks/_structure_bench.py missing)")

    info = machine_info(featurizers=True)
    print(
        f"{info['cpu']}, {info['usable_cores']} usable cores, python {info['python']}, "
        f"numpy {info['numpy']}, matminer {info['matminer']}"
    )
    print(table(rows))

    write_json(args.output, {"machine": info, "results": rows})
    write_json(
        args.output.parent / "featurize_composition.json",
        {"machine": info, "results": composition},
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
