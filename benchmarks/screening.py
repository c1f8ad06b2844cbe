"""Screening throughput and memory: generated compositions through a shipped model.

    python benchmarks/screening.py                       # 1M and 10M candidates, this process
    python benchmarks/screening.py --sizes 1000000 --dask   # and on a 2-worker LocalCluster

Candidates are every unary, binary and ternary composition of the first 40 elements
(noble gases left out) up to the number of atoms per formula unit that yields the asked
count, cut to exactly that many; each run screens them with ``skirnet.screening.screen``
end to end (generation, featurization, prediction, Parquet output, top 20) in a fresh
process, so its peak resident memory (``ru_maxrss``) is the run's own. Results go to
``benchmarks/results/screening.json`` with the machine (``screening_<N>_threads.json``
with ``--threads N`` other than the number of cores: one worker, one thread; ``--tag T``
appends ``_T`` to the name) and the model's card: its features, architecture and date.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import format_table, machine_info, write_result

NOBLE = {2, 10, 18, 36, 54, 86}


def _elements(n: int = 40) -> list[str]:
    from pymatgen.core import Element

    return [Element.from_Z(z).symbol for z in range(1, 90) if z not in NOBLE][:n]


def _space(size: int) -> tuple[list[str], int]:
    from skirnet.screening import count_compositions

    elements = _elements()
    max_atoms = 3
    while count_compositions(elements, max_atoms, max_elements=3) < size:
        max_atoms += 1
    return elements, max_atoms


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(model_name: str, size: int, chunk_size: int, dask: bool, threads: int) -> dict:
    """One screen in this process; returns its measurements."""
    import torch

    from skirnet import pretrained
    from skirnet.screening import generate_compositions, screen

    torch.set_num_threads(threads)
    elements, max_atoms = _space(size)
    model = pretrained.load(model_name)
    candidates = itertools.islice(generate_compositions(elements, max_atoms, max_elements=3), size)
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "screen.parquet"
        cpu_start = _cpu_seconds()
        if dask:
            from dask.distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=threads, threads_per_worker=1, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                result = screen(
                    model, candidates, output, chunk_size=chunk_size, client=client,
                    total=size, progress=False,
                )  # fmt: skip
        else:
            result = screen(
                model, candidates, output, chunk_size=chunk_size, total=size, progress=False
            )
        cpu_s = _cpu_seconds() - cpu_start
        output_mb = output.stat().st_size / 1e6
    return {
        "mode": f"dask LocalCluster ({threads} workers x 1 thread)"
        if dask
        else f"one process, {threads} torch threads",  # fmt: skip
        "candidates": result.n_candidates,
        "failed": result.n_failed,
        "seconds": round(result.seconds, 2),
        "per_minute": round(result.rate_per_minute),
        # this process's CPU time (Dask workers not counted): on a shared machine the wall
        # time says how busy it was, the CPU time what the screen cost
        "cpu_s": round(cpu_s, 2),
        "per_cpu_minute": round(result.n_candidates / cpu_s * 60) if cpu_s > 0 else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "output_mb": round(output_mb, 1),
        "chunk_size": chunk_size,
        "space": f"unaries to ternaries of {len(elements)} elements, <= {max_atoms} atoms",
        "best": result.top["formula"].head(3).tolist(),
    }


def _card(name: str) -> dict:
    """Which model was screened with: the card's features, architecture and training date."""
    from skirnet import pretrained

    card = pretrained.model_card(name)
    return {
        "features": card.get("features"),
        "architecture": card.get("architecture"),
        "parameters": card.get("parameters"),
        "trained": (card.get("machine") or {}).get("date"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="oqmd-formation-enthalpy")
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", action="store_true", help="also run on a LocalCluster")
    parser.add_argument("--tag", default="", help="suffix of the JSON file name")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dask-one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        row = run_one(args.model, int(args.sizes), args.chunk_size, args.dask_one, args.threads)
        print(json.dumps(row))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for dask in (False, True) if args.dask else (False,):
            command = [sys.executable, __file__, "--one", "--sizes", str(size),
                       "--model", args.model, "--chunk-size", str(args.chunk_size),
                       "--threads", str(args.threads)] + (["--dask-one"] if dask else [])  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{row['mode']}: {row['candidates']:,} in {row['seconds']} s", flush=True)
    columns = ["mode", "candidates", "seconds", "per_minute", "cpu_s", "peak_rss_mb", "output_mb"]
    print(format_table(rows, columns))
    default_threads = args.threads == (os.cpu_count() or 1)
    name = "screening" if default_threads else f"screening_{args.threads}_threads"
    card = _card(args.model)
    path = write_result(
        f"{name}_{args.tag}" if args.tag else name,
        {
            "benchmark": "screening",
            "model": args.model,
            "model_card": card,
            "command": "python benchmarks/screening.py " + " ".join(sys.argv[1:]),
            "machine": machine_info(),
            "note": "peak_rss_mb is the screening process's own; Dask workers are separate "
            "processes and not counted in it",
            "rows": rows,
        },
    )
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
