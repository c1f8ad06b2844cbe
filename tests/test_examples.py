"""Run every script of ``examples/`` as a subprocess in its fast mode (SKIRNET_EXAMPLE_FAST=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Text each script must print (in fast mode).
EXPECTED = {
    "pipeline_fit.py": ["Test MAE on 200 formulas", "predicting the training median"],
    "grid_search_depth.py": ["GridSearchCV over IRNet depth", "Best depth:"],
    "grid_search_dask.py": ["GridSearchCV on Dask (2 workers)", "Best depth:"],
    "cross_val_vs_forest.py": [
        "IRNet-17      fold MAEs",
        "RandomForest  fold MAEs",
        "Same 3 folds of 200 formulas",
    ],
    "structure_and_composition.py": [
        "273 features (128 structural + 145 composition)",
        "IRNet-17      test MAE",
        "RandomForest  test MAE",
    ],
}


def _run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "SKIRNET_EXAMPLE_FAST": "1",
        "OMP_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        **env,
    }
    return subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True,
                          text=True, env=full_env, timeout=180)  # fmt: skip


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(set(EXPECTED) - {"structure_and_composition.py"}))
def test_example_runs(script: str) -> None:
    proc = _run(script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for text in EXPECTED[script]:
        assert text in proc.stdout, (text, proc.stdout)


def test_structure_example(shared_data: Path) -> None:
    proc = _run("structure_and_composition.py", SKIRNET_SHARED_DATA=str(shared_data))
    assert proc.returncode == 0, proc.stderr[-2000:]
    for text in EXPECTED["structure_and_composition.py"]:
        assert text in proc.stdout, (text, proc.stdout)


def test_structure_example_without_data(tmp_path: Path) -> None:
    proc = _run("structure_and_composition.py", SKIRNET_SHARED_DATA=str(tmp_path / "none"),
                SKIRNET_DATA=str(tmp_path / "home"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "not available here, so this example is skipped" in proc.stdout
