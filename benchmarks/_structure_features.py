"""Structure features of every crystal of a set, computed once and cached on disk.

``featurize_structures.py`` computes them (and times it); ``structures.py`` reads them.
"""

from __future__ import annotations

import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "cache" / "structures"
CHUNK_SIZE = 500


def featurize_set(name: str, jobs: int, chunk_size: int = CHUNK_SIZE, progress: bool = True):
    """(features DataFrame, failures DataFrame, targets, seconds, rows computed now).

    StructureFeaturizer(composition=True) on the set's raw CIF text / Structure dicts, in
    chunks of ``chunk_size`` crystals written to ``benchmarks/cache/structures/<set>/`` as
    they finish (``featurize_to_folder``): a rerun reads the finished chunks and continues.
    """
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
