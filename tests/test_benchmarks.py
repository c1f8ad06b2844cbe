"""The benchmarks' shared layer: its JSON writer and machine info, and the rules of the folder.

``benchmarks/`` holds runnable scripts and the shared modules they import (names starting
with ``_``, described in ``benchmarks/_common.py``): a script imports no other script and
no private name of a shared module, and nothing edits ``sys.path``.

Only what runs in a moment: no benchmark is run here (``test_docs_numbers.py`` runs the
report scripts' ``--check``).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SOURCES = sorted(BENCHMARKS.glob("*.py"))
MODULES = {path.stem for path in SOURCES}


def _calls(tree: ast.AST, module: str, function: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == function
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == module
    ]


RESULTS = BENCHMARKS / "results"


# ----------------------------------------------------------------------- machine info


def test_machine_info_keeps_the_keys_the_results_were_written_with(benchmarks_module):
    common = benchmarks_module("_common")
    written = json.loads((RESULTS / "calibration.json").read_text())["machine"]
    assert list(common.machine_info()) == list(written)


def test_the_featurizer_benchmarks_machine_info_keeps_its_keys(benchmarks_module):
    pytest.importorskip("matminer")
    common = benchmarks_module("_common")
    for name in ("featurize.json", "featurize_structure.json"):
        written = json.loads((RESULTS / name).read_text())["machine"]
        assert list(common.machine_info(featurizers=True)) == list(written)


# ----------------------------------------------------------------------- the JSON writer


def test_write_json_writes_the_text_it_always_wrote(tmp_path, benchmarks_module):
    common = benchmarks_module("_common")
    payload = {"a": [1, 2.5], "b": None}
    path = common.write_json(tmp_path / "new" / "x.json", payload)
    assert path == tmp_path / "new" / "x.json"
    assert path.read_text() == json.dumps(payload, indent=2) + "\n"
    common.write_json(path, payload, indent=None, end="")
    assert path.read_text() == json.dumps(payload)


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_write_failing_half_way_leaves_the_previous_file(
    tmp_path, benchmarks_module, monkeypatch, error
):
    common = benchmarks_module("_common")
    path = common.write_json(tmp_path / "unit.json", {"test_mae": 0.1})
    before = path.read_bytes()

    def torn(payload, handle, **kwargs):  # the first half of the text, then the failure
        text = json.dumps(payload, **kwargs)
        handle.write(text[: len(text) // 2])
        handle.flush()
        raise error

    monkeypatch.setattr(common.json, "dump", torn)
    with pytest.raises(type(error)):
        common.write_json(path, {"test_mae": 0.2, "curve": list(range(1000))})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["unit.json"]  # no temporary file left


def test_a_value_json_cannot_hold_leaves_the_previous_file(tmp_path, benchmarks_module):
    # json.dump has written the first keys when it meets the value (a numpy scalar, say)
    common = benchmarks_module("_common")
    path = common.write_json(tmp_path / "summary.json", {"rows": [1, 2]})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        common.write_json(path, {"rows": list(range(1000)), "bad": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_write_arrays_failing_half_way_leaves_the_previous_file(
    tmp_path, benchmarks_module, monkeypatch
):
    common = benchmarks_module("_common")
    path = common.write_arrays(tmp_path / "features.npz", X=np.arange(6.0).reshape(2, 3))
    before = path.read_bytes()

    def torn(handle, **arrays):  # some bytes of the archive, then a full disk
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", torn)
    with pytest.raises(OSError, match="No space left"):
        common.write_arrays(path, X=np.zeros((1000, 3)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["features.npz"]  # no temporary file
    cached = common.read_cached_arrays(path, ["X"])
    assert np.array_equal(cached["X"], np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # a crash half-way through an in-place write
        lambda data: b"not an archive at all",
        lambda data: b"",
    ],
    ids=["truncated", "garbage", "empty"],
)
def test_a_damaged_cache_is_removed_with_a_warning_and_computed_again(
    tmp_path, benchmarks_module, damage
):
    common = benchmarks_module("_common")
    path = common.write_arrays(tmp_path / "features.npz", X=np.ones((200, 50)), y=np.ones(200))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(UserWarning, match=f"{path}: damaged cache .*computing it again"):
        assert common.read_cached_arrays(path, ["X", "y"]) is None
    assert not path.exists()
    assert common.read_cached_arrays(path, ["X", "y"]) is None  # missing: no warning


def test_a_cache_lacking_an_array_is_computed_again(tmp_path, benchmarks_module):
    common = benchmarks_module("_common")
    path = common.write_arrays(tmp_path / "features.npz", X=np.ones(3))
    with pytest.warns(UserWarning, match="damaged cache"):
        assert common.read_cached_arrays(path, ["X", "y"]) is None


def test_write_result_goes_through_the_writer(tmp_path, benchmarks_module, monkeypatch):
    common = benchmarks_module("_common")
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(common, "machine_info", lambda: {"cpu": "test"})
    written = []
    monkeypatch.setattr(
        common, "write_json", lambda path, payload, **kw: written.append(path) or path
    )
    common.write_result("transfer/x", {"benchmark": "transfer"})
    assert written == [tmp_path / "transfer" / "x.json"]


def test_every_json_file_is_written_by_write_json():
    offenders = []
    for path in SOURCES:
        if path.name == "_common.py":
            continue
        tree = ast.parse(path.read_text())
        dumped = _calls(tree, "json", "dump")
        written = [
            call
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("write_text", "write")
            for call in _calls(node, "json", "dumps")
        ]
        offenders += [f"{path.name}:{call.lineno}" for call in dumped + written]
    assert offenders == [], "write JSON with _common.write_json (atomic)"


def test_suite_report_check_writes_no_seed_ensemble(tmp_path, benchmarks_module, monkeypatch):
    report = benchmarks_module("suite_report")
    monkeypatch.setattr(report, "SUITE", tmp_path)
    truth = {"val": np.array([0.0, 1.0]), "test": np.array([1.0, 2.0, 3.0])}
    monkeypatch.setattr(report, "_targets", lambda dataset, split: truth[split])
    folder = tmp_path / "some_set"
    folder.mkdir()
    for seed in range(3):
        unit = {"unit": f"irnet17_s{seed}", "val_mae": 0.1, "test_mae": 0.2, "wall_s": 10.0}
        (folder / f"irnet17_s{seed}.json").write_text(json.dumps(unit))
        np.savez(folder / f"irnet17_s{seed}.npz", val=truth["val"] + 1, test=truth["test"])
    before = sorted(p.name for p in folder.iterdir())
    checked = report.load_set("some_set", store=False)
    assert checked[report.ENSEMBLE]["val_mae"] == 1.0
    assert sorted(p.name for p in folder.iterdir()) == before
    assert report.load_set("some_set")[report.ENSEMBLE] == checked[report.ENSEMBLE]
    assert (folder / f"{report.ENSEMBLE}.json").is_file()


def test_suite_report_counts_what_fine_tuning_did_against_scratch(benchmarks_module):
    report = benchmarks_module("suite_report")

    def row(ft_val, ft_test, best_classical="hgb_s0"):
        return {
            "dataset": f"set{ft_val}",
            "val_mae": {"irnet17_s0": 1.0, "irnet17ft_s0": ft_val, "hgb_s0": 0.5},
            "test_mae": {"irnet17_s0": 1.0, "irnet17ft_s0": ft_test, "hgb_s0": 0.5},
            "wall_s": {"irnet17_s0": 600.0, "irnet17ft_s0": 120.0},
            "best_classical": best_classical,
        }

    rows = [row(0.8, 0.4), row(1.2, 0.9, None), {"dataset": "big", "test_mae": {"irnet17_s0": 1}}]
    effect = report.fine_tuning_effect(rows)
    assert effect["sets"] == ["set0.8", "set1.2"]
    assert (effect["below_scratch_val"], effect["below_scratch_test"]) == (1, 2)
    assert effect["test_ratio_geomean"] == pytest.approx(np.sqrt(0.4 * 0.9))
    assert (effect["minutes_fine_tuned"], effect["minutes_scratch"]) == (2.0, 10.0)
    assert (effect["below_best_classical_test"], effect["with_classical"]) == (1, 1)
    assert report.fine_tuning_effect(rows[2:]) is None


def test_the_suite_runner_can_be_interrupted_when_started_in_the_background(
    benchmarks_module, monkeypatch
):
    """'nohup ... &' starts a process with SIGINT ignored; the runner takes it back."""
    import signal

    suite = benchmarks_module("suite")
    # nothing read, nothing changed for the tests after this one
    monkeypatch.setattr(suite, "chosen_sets", lambda text: [text])
    monkeypatch.setattr(suite, "training_rows", lambda dataset: 39_663)
    monkeypatch.setattr(suite.torch, "set_num_threads", lambda n: None)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert suite.main(["--plan", "--sets", "mp_e_hull", "--units", "irnet17_s0"]) == 0
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


# ----------------------------------------------------------------------- the layout


def _benchmark_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, benchmarks module, name imported from it or None) for every import of one."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names if a.name in MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in MODULES and not node.level:
            found += [(node.lineno, node.module, a.name) for a in node.names]
    return found


def test_no_file_edits_sys_path():
    # the scripts find the shared modules as Python runs them (see benchmarks/_common.py)
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    ]
    assert offenders == []


def test_scripts_import_only_the_shared_modules():
    offenders = [
        f"{path.name}:{line} imports {module}"
        for path in SOURCES
        for line, module, _ in _benchmark_imports(path)
        if not module.startswith("_")
    ]
    assert offenders == [], "move what scripts share into a shared module (_*.py)"


def test_no_private_name_is_imported_from_another_file():
    offenders = [
        f"{path.name}:{line} imports {module}.{name}"
        for path in SOURCES
        for line, module, name in _benchmark_imports(path)
        if name is not None and name.startswith("_")
    ]
    assert offenders == [], "a name used by other files is public (no leading _)"


def test_the_featurizer_benchmark_loads_no_torch():
    # featurize.py times featurizers in a process without torch; its shared modules
    # (_common's machine info, tables and writer) import torch only when called
    code = "import sys, featurize; print('torch' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BENCHMARKS, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_ctrl_c_during_a_unit_scores_nothing_and_keeps_its_checkpoint(
    tmp_path, benchmarks_module, monkeypatch
):
    """A real SIGINT mid-training: the estimator returns quietly, the unit must not."""
    import signal

    from skorch.callbacks import Callback

    full_scale = benchmarks_module("_full_scale")

    class CtrlCAtEpoch2(Callback):  # stands in for the time budget, and presses Ctrl-C
        exhausted_ = False

        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(full_scale, "TimeBudget", lambda seconds: CtrlCAtEpoch2())
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0])
    data = ((X[:60], y[:60]), (X[60:75], y[60:75]), (X[75:], y[75:]))
    params = {"hidden_layer_sizes": "8x2", "max_epochs": 6, "batch_size": 16}
    with pytest.warns(UserWarning, match="interrupted at epoch"):
        with pytest.raises(KeyboardInterrupt):
            full_scale.run_net(
                "unit",
                "irnet",
                17,
                params,
                data,
                0,
                float("inf"),
                checkpoints=tmp_path / "checkpoints",
                models=tmp_path / "models",
            )
    assert (tmp_path / "checkpoints" / "unit" / "state.json").is_file()
    assert not (tmp_path / "models").exists()
