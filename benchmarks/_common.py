"""What every benchmark needs: the machine it ran on, a printed table, a JSON record.

The benchmarks are runnable scripts (``python benchmarks/<script>.py``) on a small shared
layer, the modules whose names start with ``_``:

* ``_common.py`` (this one): paths, the shared data, machine info, tables, the JSON writer
  every result goes through, the generated sections of the docs;
* ``_splits.py``: the published splits and what the protocols fix on them;
* ``_oqmd_features.py``, ``_structure_features.py``: features computed once and cached;
* ``_full_scale.py``: the resumable unit runner of ``reproduce_paper.py --scale full`` and
  ``suite.py``;
* ``_composition_bench.py``, ``_structure_bench.py``: the two halves of ``featurize.py``.

A script imports these modules only, never another script, and only their public names;
``tests/test_benchmarks.py`` checks it.

How a script finds them: running ``python benchmarks/<script>.py`` puts the script's own
folder, ``benchmarks/``, first on ``sys.path`` (Python does so for every script, from any
working directory, unless told not to with ``-P`` or ``PYTHONSAFEPATH``), so
``import _common`` just works and nothing here edits ``sys.path``. ``benchmarks/`` is not
a package; a test that imports one of these modules puts the folder on ``sys.path`` for its
own duration (fixture ``benchmarks_module`` of ``tests/conftest.py``), and the tests run
the scripts themselves as ``python benchmarks/<script>.py``.

Importing this module loads neither torch nor skirnet (the featurizer benchmarks run
without torch): what needs them imports them when called.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[1]
#: The project's shared folder beside the repository: the data sets, published tables.
SHARED = REPO.parent / "shared"


def __getattr__(name: str) -> Any:
    # NET_LABELS: how tables and plots name the three networks of the paper (from the
    # networks' registry; the paper's control first, IRNet last). The registry loads torch,
    # so it is read on first use: the featurizer benchmarks run without torch.
    if name == "NET_LABELS":
        from skirnet.estimators import NETWORKS

        labels = {net: NETWORKS[net].label for net in reversed(NETWORKS)}
        globals()[name] = labels
        return labels
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def use_shared_data() -> None:
    """Point skirnet's loaders at the project's ``../shared/data`` when it is there."""
    shared = SHARED / "data"
    if shared.is_dir():
        os.environ.setdefault("SKIRNET_SHARED_DATA", str(shared))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def usable_cores() -> int | None:
    """The cores this process may run on (its affinity), or every core where unknown."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def machine_info(*, featurizers: bool = False) -> dict[str, Any]:
    """CPU, cores and library versions, for the JSON record.

    By default what a training benchmark depends on: torch's threads and version, skorch,
    the GPU. ``featurizers=True`` gives the record of the featurizer benchmarks
    (``featurize.py``), which run without torch: the usable cores, matminer, pymatgen and the
    platform instead. Each keeps the keys (and date format) its results were written with.
    """
    import numpy
    import sklearn

    info: dict[str, Any] = {"cpu": cpu_model(), "cores": os.cpu_count()}
    if featurizers:
        import matminer
        import pymatgen.core

        info.update(
            {
                "usable_cores": usable_cores(),
                "python": platform.python_version(),
                "numpy": numpy.__version__,
                "matminer": getattr(matminer, "__version__", "unknown"),
                "pymatgen": getattr(pymatgen.core, "__version__", "unknown"),
                "scikit-learn": sklearn.__version__,
                "platform": platform.platform(),
                "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return info
    import torch

    info.update(
        {
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
    )
    try:
        import skorch

        info["skorch"] = skorch.__version__
    except ImportError:
        pass
    return info


def format_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A fixed-width text table (also valid Markdown).

    Floats are shown with 4 significant digits, None as an empty cell; strings as they are
    (format a column beforehand to show it otherwise).
    """

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
        return "" if value is None else str(value)

    body = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(columns)]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in body
    ]
    return "\n".join(lines)


def write_json(path: str | Path, payload: Any, *, indent: int | None = 2, end: str = "\n") -> Path:
    """Write ``payload`` to ``path`` as JSON, whole or not at all; returns ``path``.

    Every JSON file the benchmarks write goes through here. The text goes to a temporary
    file in the same folder, renamed over ``path`` once complete
    (:func:`skirnet.pipeline.write_atomically`, the package's public atomic writer), so a
    run killed or failing half-way (an interrupt, a value JSON cannot hold) leaves the
    previous file as it was and no temporary file behind. ``end`` follows the JSON text
    (files first written without a final newline keep being written so).
    """
    from skirnet.pipeline import write_atomically

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        with tmp.open("w") as handle:
            json.dump(payload, handle, indent=indent)
            handle.write(end)

    return write_atomically(path, write)


def write_arrays(path: str | Path, *, compressed: bool = False, **arrays: Any) -> Path:
    """Write ``arrays`` to the ``.npz`` file ``path``, whole or not at all; returns ``path``.

    As :func:`write_json`: a temporary file in the same folder, renamed over ``path`` once
    complete, so a killed run never leaves a truncated cache or prediction file.
    """
    import numpy as np

    from skirnet.pipeline import write_atomically

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save = np.savez_compressed if compressed else np.savez

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:  # a handle: numpy adds no ".npz" to the name
            save(handle, **arrays)

    return write_atomically(path, write)


def read_cached_arrays(path: str | Path, keys: list[str]) -> dict[str, Any] | None:
    """The arrays ``keys`` of the cache file ``path``; None when it must be computed.

    A cache that is missing gives None; one that cannot be read whole (truncated, not a
    ``.npz``, lacking a key: left by a crash of a version that wrote it in place) is
    removed, with a warning naming it, and gives None too, so that the caller computes
    it again instead of failing or using part of it.
    """
    import warnings
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path) as cached:
            return {key: cached[key] for key in keys}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        warnings.warn(f"{path}: damaged cache ({exc}); computing it again", stacklevel=2)
        path.unlink(missing_ok=True)
        return None


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the machine added."""
    return write_json(RESULTS / f"{name}.json", {"machine": machine_info(), **payload}, end="")


def report(name: str, rows: list[dict[str, Any]], columns: list[str], **payload: Any) -> Path:
    """Print ``rows`` as a table and write them, the command and ``payload`` to the JSON."""
    import sys

    print(format_table(rows, columns))
    script = Path(sys.argv[0]).name
    command = f"python benchmarks/{script} " + " ".join(sys.argv[1:])
    path = write_result(
        name, {"benchmark": name, "command": command.strip(), **payload, "rows": rows}
    )
    print(f"-> {path}")
    return path


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with the part between its ``name`` markers replaced by ``body``.

    The markers are the lines ``<!-- name:start -->`` and ``<!-- name:end -->`` (HTML
    comments, invisible in the rendered page): what stands between them is generated by a
    report script and never edited by hand.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one {start} and one {end} marker")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body.strip()}\n{end}{tail}"
