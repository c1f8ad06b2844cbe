"""Featurizer benchmark: skirnet vs matminer, composition and (if available) structure.

Usage::

    python benchmarks/featurize.py [--n-formulas 10000] [--n-structures 200]
                                   [--exactness-full] [--no-full] [--repeats 3]

Prints one table and writes ``benchmarks/results/featurize.json`` (with machine
info) and ``benchmarks/results/featurize_composition.json`` (composition rows).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import write_json  # noqa: E402
from _composition_bench import bench_composition  # noqa: E402

try:
    from _structure_bench import bench_structure  # noqa: E402
except ImportError:  # the structure part is optional
    bench_structure = None

COLUMNS = [
    ("featurizer", "{}", 46),
    ("rows", "{:d}", 8),
    ("ours_s", "{:.3f}", 9),
    ("matminer_s", "{:.2f}", 10),
    ("ours_rows_per_s", "{:.0f}", 15),
    ("matminer_rows_per_s", "{:.0f}", 19),
    ("speedup", "{:.1f}", 8),
    ("max_abs_diff", "{:.2e}", 12),
]


def machine_info() -> dict:
    """CPU model, cores and library versions."""
    import matminer
    import numpy
    import pymatgen.core
    import sklearn

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "matminer": getattr(matminer, "__version__", "unknown"),
        "pymatgen": getattr(pymatgen.core, "__version__", "unknown"),
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def format_table(rows: list[dict]) -> str:
    """Fixed-width text table of benchmark rows (None shown as '-')."""
    head = " ".join(
        f"{name:>{w}}" if i else f"{name:<{w}}" for i, (name, _, w) in enumerate(COLUMNS)
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = []
        for i, (name, fmt, w) in enumerate(COLUMNS):
            v = r.get(name)
            text = "-" if v is None else fmt.format(v)
            cells.append(f"{text:<{w}}" if i == 0 else f"{text:>{w}}")
        lines.append(" ".join(cells))
    return "\n".join(lines)


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
    parser.add_argument("--output", type=Path, default=HERE / "results" / "featurize.json")
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

    info = machine_info()
    print(
        f"{info['cpu']}, {info['usable_cores']} usable cores, python {info['python']}, "
        f"numpy {info['numpy']}, matminer {info['matminer']}"
    )
    print(format_table(rows))

    write_json(args.output, {"machine": info, "results": rows})
    write_json(
        args.output.parent / "featurize_composition.json",
        {"machine": info, "results": composition},
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
