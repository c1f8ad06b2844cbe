"""Regenerate ``oqmd_formation_enthalpy_sample.csv.gz``, the OQMD sample shipped with skirnet.

Run from the repository root (reads the CrabNet split of OQMD formation enthalpy from
``SKIRNET_SHARED_DATA`` or the data home, downloading the pinned crabnet wheel if needed)::

    SKIRNET_SHARED_DATA=../shared/data python skirnet/datasets/data/make_sample.py

The output is byte-reproducible (fixed seed, gzip mtime 0).
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from skirnet._atomic import write_atomically
from skirnet.datasets.composition import (
    SAMPLE_FILE,
    SAMPLE_SEED,
    SAMPLE_SIZES,
    load_composition_dataset,
)


def make_sample(out: Path, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """Draw the sample and write it to ``out`` (gzip CSV: formula, target, split).

    Parameters
    ----------
    out : pathlib.Path
        Output file.
    seed : int
        Seed of ``numpy.random.default_rng``; rows are drawn without replacement, first
        from the train split, then from the test split, each kept in file order.

    Returns
    -------
    pandas.DataFrame
        The sample.

    Examples
    --------
    >>> make_sample(Path("/tmp/sample.csv.gz"))  # doctest: +SKIP
    """
    rng = np.random.default_rng(seed)
    parts = []
    for split, n in SAMPLE_SIZES.items():
        frame = load_composition_dataset("oqmd_formation_enthalpy", split, as_frame=True).frame
        idx = np.sort(rng.choice(len(frame), size=n, replace=False))
        parts.append(frame.iloc[idx])
    sample = pd.concat(parts, ignore_index=True)[["formula", "target", "split"]]
    text = sample.to_csv(index=False, lineterminator="\n").encode("utf-8")

    def write(tmp: Path) -> None:
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
        ):
            gz.write(text)

    write_atomically(out, write)  # a failure leaves the shipped file as it was
    return sample


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(SAMPLE_FILE))
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args()
    sample = make_sample(args.out, args.seed)
    print(f"wrote {len(sample)} rows to {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
