"""End-to-end tests of the ``skirnet`` command line (tiny epochs and networks)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from skirnet import _threads
from skirnet.cli import demo, main
from skirnet.datasets import load_oqmd_sample
from skirnet.pipeline import TrainingSettings, load_pipeline, train_pipeline
from skirnet.pretrained import MODELS_DIR

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = ["--hidden-layer-sizes", "32x2-16", "--epochs", "2", "--batch-size", "64"]


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 1000


@pytest.fixture(scope="module")
def oqmd_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 rows of the embedded sample under unusual column names."""
    frame = load_oqmd_sample(as_frame=True).frame.sample(200, random_state=1)
    path = tmp_path_factory.mktemp("data") / "enthalpy.csv"
    frame.rename(columns={"formula": "Composition", "target": "dH"}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def gap_csv(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """300 real rows of Matbench's experimental band gaps, written as a new CSV."""
    source = shared_data / "composition" / "matbench" / "expt_gap.csv.gz"
    if not source.is_file():
        pytest.skip(f"{source} not found")
    frame = pd.read_csv(source).sample(300, random_state=0)
    path = tmp_path_factory.mktemp("gaps") / "gaps.csv"
    frame.rename(columns={"formula": "material", "target": "gap_eV"}).to_csv(path, index=False)
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    code, stdout, _ = _run(capsys, "demo", "--quick", "--out", str(out))
    assert code == 0
    rows = {line.split()[0] for line in stdout.splitlines() if line.strip()}
    assert {"IRNet-17", "PlainNet-17", "RF"} <= rows
    assert "MAE (eV/atom)" in stdout and "recipe large-batch:" in stdout
    assert "batch_size=1024" in stdout and "max_epochs=2" in stdout
    # 600 training rows: the paper's inputs, as compare would choose for such a table
    assert "Inputs: composition attributes (the default for this many training rows)" in stdout
    assert _is_png(out / "parity.png")
    assert _is_png(out / "learning_curves.png")
    payload = json.loads((out / "results.json").read_text())
    assert [row["model"] for row in payload["summary"]] == ["IRNet-17", "PlainNet-17", "RF"]
    assert payload["info"]["quick"] is True
    assert (payload["info"]["features"], payload["info"]["n_features"]) == ("composition", 145)
    assert all(row["mae"] > 0 for row in payload["summary"])
    assert len(payload["histories"]["IRNet-17"]) == 2
    assert set(pd.read_csv(out / "results.csv")["model"]) == {"IRNet-17", "PlainNet-17", "RF"}


@pytest.mark.slow
def test_demo_shows_the_premise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real demo (about 2.5 minutes on 2 cores): IRNet-17 ahead of both others."""
    code, stdout, _ = _run(capsys, "demo", "--threads", "2", "--out", str(tmp_path / "d"))
    assert code == 0 and "20000 train / 2000 test rows" in stdout
    assert "Inputs: composition+fractions attributes" in stdout and "max_epochs=10" in stdout
    payload = json.loads((tmp_path / "d" / "results.json").read_text())
    mae = {row["model"]: row["mae"] for row in payload["summary"]}
    assert mae["IRNet-17"] < 0.9 * mae["RF"] and mae["IRNet-17"] < mae["PlainNet-17"]
    assert "the deep residual net leads already on this sample" in stdout


def test_compare_depths_on_unseen_csv(
    gap_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    code, stdout, _ = _run(
        capsys, "compare", "--data", str(gap_csv), "--formula-col", "material",
        "--target-col", "gap_eV", "--models", "irnet,plain,rf,ridge", "--depths", "10,17",
        "--epochs", "1", "--batch-size", "128", "--out", str(out),
    )  # fmt: skip
    assert code == 0
    for label in ("IRNet-10", "IRNet-17", "PlainNet-10", "PlainNet-17", "RF", "Ridge"):
        assert label in stdout
    for name in ("parity.png", "learning_curves.png", "depth_study.png"):
        assert _is_png(out / name), name
    payload = json.loads((out / "results.json").read_text())
    assert payload["info"]["n_rows"] == 300
    assert payload["info"]["target_col"] == "gap_eV"
    assert {row["n_test"] for row in payload["results"]} == {60}
    results = pd.read_csv(out / "results.csv")
    assert set(results.loc[results["model"] == "IRNet-10", "depth"]) == {10}


def test_compare_cv_tiny_nets(
    oqmd_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cv"
    code, stdout, _ = _run(
        capsys, "compare", "--data", str(oqmd_csv), "--formula-col", "Composition",
        "--target-col", "dH", "--models", "srnet,linear", "--cv", "2", *TINY,
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    assert "SRNet-4" in stdout and "Linear" in stdout and "MAE std" in stdout
    results = pd.read_csv(out / "results.csv")
    assert sorted(results["fold"].unique()) == [0, 1]
    assert not (out / "depth_study.png").exists()


def test_train_predict_round_trip(
    oqmd_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = tmp_path / "model"
    code, stdout, _ = _run(
        capsys, "train", "--data", str(oqmd_csv), "--formula-col", "Composition",
        "--target-col", "dH", "--model", "irnet", *TINY, "--seed", "3", "--threads", "1",
        "--out", str(model_dir),
    )  # fmt: skip
    assert code == 0, stdout
    assert (model_dir / "net" / "weights.safetensors").is_file()
    spec = json.loads((model_dir / "pipeline.json").read_text())
    assert len(spec["scaler"]["mean"]) == 145
    assert spec["featurizer"]["params"]["preset"] == "irnet"
    assert not list(model_dir.rglob("*.pkl"))

    queries = pd.DataFrame({"Composition": ["NaCl", "Fe2O3", "GaAs", "Al2O3", "LiFePO4"]})
    query_csv = tmp_path / "queries.csv"
    queries.to_csv(query_csv, index=False)
    preds_csv = tmp_path / "preds.csv"
    code, _, _ = _run(capsys, "predict", "--model", str(model_dir), "--data", str(query_csv),
                      "--output", str(preds_csv), "--threads", "1")  # fmt: skip
    assert code == 0
    preds = pd.read_csv(preds_csv, float_precision="round_trip")
    assert list(preds.columns) == ["formula", "prediction", "error"]
    assert preds["formula"].tolist() == queries["Composition"].tolist()

    # the same training in memory gives the same predictions, bit for bit
    frame = pd.read_csv(oqmd_csv)
    # 200 rows: the paper's recipe; --epochs and --batch-size override it
    assert spec["settings"]["recipe"] == "paper" and spec["settings"]["lr"] == 1e-4
    assert spec["settings"]["overridden"] == ["batch_size", "max_epochs"]
    settings = TrainingSettings(
        "paper", batch_size=64, max_epochs=2, hidden_layer_sizes="32x2-16", seed=3, progress=False
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same thread count as the CLI runs: same float round-off
    try:
        pipe = train_pipeline(frame["Composition"].tolist(), frame["dH"].to_numpy(), "irnet",
                              17, settings)  # fmt: skip
        expected = pipe.predict(queries["Composition"].tolist())
        loaded, _ = load_pipeline(model_dir)
        reloaded = loaded.predict(queries["Composition"].tolist())
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(preds["prediction"].to_numpy(), expected)
    np.testing.assert_array_equal(reloaded, expected)

    # without --output the CSV goes to stdout
    code, stdout, _ = _run(capsys, "predict", "--model", str(model_dir), "--data",
                           str(query_csv))  # fmt: skip
    assert code == 0 and stdout.splitlines()[0] == "formula,prediction,error"


def _bad_inputs(tmp: Path, good: Path) -> dict[str, tuple[list[str], str]]:
    empty = tmp / "empty.csv"
    empty.write_text("")
    header_only = tmp / "header.csv"
    header_only.write_text("formula,target\n")
    text_target = tmp / "text.csv"
    text_target.write_text("formula,target\nNaCl,1.0\nGaAs,high\n")
    bad_formula = tmp / "badformula.csv"
    rows = "\n".join(f"NaCl,{i}" for i in range(12))
    bad_formula.write_text(f"formula,target\n{rows}\nXx2Qq,1.0\n")
    cif_table = tmp / "cifs.csv"
    cif_table.write_text(
        "cif,target\n" + "".join(f'"data_x{i}\n_cell_length_a 3",{i}\n' for i in range(12))
    )
    unnamed = tmp / "unnamed.csv"
    unnamed.write_text("material,gap,band\nNaCl,1,2\n")
    not_gzip = tmp / "table.csv.gz"
    not_gzip.write_text("formula,target\nNaCl,1\n")
    a_file = tmp / "afile"
    a_file.write_text("")
    data = ["--data", str(good), "--formula-col", "Composition", "--target-col", "dH"]
    return {
        "missing file": (["compare", "--data", str(tmp / "nope.csv")], "no such file"),
        "missing formula column": (
            ["compare", "--data", str(good), "--formula-col", "formula"], "'formula'"),
        "missing target column": (
            ["compare", "--data", str(good), "--formula-col", "Composition",
             "--target-col", "gap"], "'gap'"),
        "non-numeric target": (["compare", "--data", str(text_target)], "numeric"),
        "empty file": (["compare", "--data", str(empty)], "empty"),
        "header only": (["train", "--data", str(header_only), "--out", str(tmp / "m")],
                        "no data rows"),
        "unknown model": (["compare", *data, "--models", "irnet,xgboost"], "xgboost"),
        "baseline as train model": (["train", *data, "--model", "rf", "--out", str(tmp / "m")],
                                    "network"),
        "bad depths": (["compare", *data, "--depths", "17,abc"], "abc"),
        "unknown depth": (["compare", *data, "--depths", "12"], "unknown depth 12"),
        "bad architecture": (["compare", *data, "--hidden-layer-sizes", "64x-2"], "64x-2"),
        "bad formula": (["compare", "--data", str(bad_formula), "--epochs", "1"], "Xx2Qq"),
        "negative lr": (["compare", *data, "--lr", "-1"], "--lr"),
        "missing --data": (["compare"], "--data"),
        "unknown command": (["fly"], "fly"),
        "missing model dir": (["predict", "--model", str(tmp / "none"), "--data", str(good)],
                              "no such model folder"),
        "unparseable CIF": (["compare", "--data", str(cif_table)],
                            "cannot featurize row 0 (id '0') of"),
        "structure features of formulas": (["compare", *data, "--features", "structure"],
                                           "needs crystal structures"),
        "no formula column": (["compare", "--data", str(unnamed)], "pass --formula-col"),
        "not gzip": (["compare", "--data", str(not_gzip)], "cannot read"),
        "--out is a file": (["compare", *data, "--out", str(a_file)], "is a file"),
        "train --out is a file": (["train", *data, "--out", str(a_file)], "is a file"),
        "unknown device": (["compare", *data, "--device", "gpu0"], "gpu0"),
        "one fold": (["compare", *data, "--cv", "1"], "at least 2 folds"),
        "--output is a folder": (["predict", "--model", str(tmp / "none"), "--data", str(good),
                                  "--output", str(tmp)], "is a folder"),
        "--output in no folder": (["predict", "--model", str(tmp / "none"), "--data", str(good),
                                   "--output", str(tmp / "no" / "p.csv")], "does not exist"),
    }  # fmt: skip


def test_bad_inputs_give_one_line_errors(
    oqmd_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "data-home"))  # the feature cache
    for case, (argv, needle) in _bad_inputs(tmp_path, oqmd_csv).items():
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("skirnet: error:")]
        assert code == 2, case
        assert len(lines) == 1, (case, err)
        assert needle in lines[0], (case, lines[0])
        assert "Traceback" not in err, case


def test_debug_reraises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        main(["compare", "--data", str(tmp_path / "nope.csv"), "--debug"])


def test_python_m_skirnet_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "skirnet", "compare", "--data", str(tmp_path / "nope.csv")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"skirnet: error: no such file: {tmp_path / 'nope.csv'}"
    proc = subprocess.run([sys.executable, "-m", "skirnet", "--help"], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0 and "demo" in proc.stdout and "predict" in proc.stdout


def test_time_budget_stops_training(oqmd_csv: Path, tmp_path: Path) -> None:
    import json
    import time

    out = tmp_path / "m"
    argv = ["train", "--data", str(oqmd_csv), "--out", str(out), "--formula-col", "Composition"]
    argv += ["--target-col", "dH", "--epochs", "5000", "--patience", "5000"]
    start = time.perf_counter()
    assert main([*argv, "--time-budget", "2", "--hidden-layer-sizes", "16", "--threads", "1"]) == 0
    assert time.perf_counter() - start < 60
    history = json.loads((out / "net" / "skirnet.json").read_text())["history"]
    assert 1 <= len(history) < 5000
    assert sum(row["dur"] for row in history[:-1]) < 2.0 <= sum(row["dur"] for row in history) + 1


@pytest.mark.parametrize("command", ["demo", "compare", "train", "predict", "screen"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: skirnet {command}" in capsys.readouterr().out


def test_a_command_is_its_module_listed_in_the_registry(monkeypatch, capsys) -> None:
    # a command needs no shared option (not even --threads or --debug) to run
    from skirnet.cli import _main

    def hello(args: argparse.Namespace) -> int:
        print(f"hello {args.name}")
        return 0

    def register(commands: argparse._SubParsersAction) -> None:
        parser = commands.add_parser("hello", help="say hello")
        parser.add_argument("--name", default="world")
        parser.set_defaults(handler=hello)

    command = types.SimpleNamespace(NAME="hello", register=register)
    monkeypatch.setattr(_main, "COMMANDS", (*_main.COMMANDS, command))
    assert main(["hello", "--name", "skirnet"]) == 0
    assert capsys.readouterr().out == "hello skirnet\n"
    assert main([]) == 2
    assert capsys.readouterr().err.endswith(", hello)\n")  # listed after the others


def test_train_fine_tunes_the_shipped_model_on_a_small_formula_table(
    oqmd_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["train", "--data", str(oqmd_csv), "--formula-col", "Composition",
            "--target-col", "dH", "--epochs", "1", "--batch-size", "64", "--threads", "1"]  # fmt: skip
    code, stdout, _ = _run(capsys, *base, "--out", str(tmp_path / "tuned"))
    assert code == 0, stdout
    assert "Fine-tuning the shipped model oqmd-formation-enthalpy: the default" in stdout
    inputs = (
        "composition+fractions attributes (the inputs of --pretrained oqmd-formation-enthalpy)"
    )
    assert inputs in stdout
    spec = json.loads((tmp_path / "tuned" / "pipeline.json").read_text())
    assert spec["featurizer"]["params"]["preset"] == "irnet+fractions"  # the source's inputs
    assert len(spec["scaler"]["mean"]) == 231
    assert spec["settings"]["pretrained"] == "oqmd-formation-enthalpy"
    source = json.loads((MODELS_DIR / "oqmd-formation-enthalpy" / "pipeline.json").read_text())
    assert spec["scaler"] == source["scaler"]  # its frozen standardisation
    # opting out, or choosing what the shipped model is not, trains from scratch
    for extra in (["--pretrained", "none"], ["--depth", "10"], ["--model", "plain"],
                  ["--features", "composition"], ["--hidden-layer-sizes", "16"]):  # fmt: skip
        out = tmp_path / extra[1]
        code, stdout, _ = _run(capsys, *base, *extra, "--out", str(out))
        assert code == 0, stdout
        assert "Fine-tuning" not in stdout and "fine-tuned" not in stdout, extra
        spec = json.loads((out / "pipeline.json").read_text())
        assert spec["settings"]["pretrained"] is None, extra
        assert len(spec["scaler"]["mean"]) == 145, extra


def test_train_with_element_fractions(
    oqmd_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = tmp_path / "model"
    code, stdout, _ = _run(
        capsys, "train", "--data", str(oqmd_csv), "--formula-col", "Composition",
        "--target-col", "dH", "--features", "composition+fractions", *TINY, "--threads", "1",
        "--out", str(model_dir),
    )  # fmt: skip
    assert code == 0, stdout
    assert "Inputs: composition+fractions attributes" in stdout
    spec = json.loads((model_dir / "pipeline.json").read_text())
    assert spec["featurizer"]["params"]["preset"] == "irnet+fractions"
    assert len(spec["scaler"]["mean"]) == 145 + 86
    pipe, _ = load_pipeline(model_dir)
    assert pipe.predict(["NaCl", "Fe2O3"]).shape == (2,)


def test_default_features_follow_the_table_size() -> None:
    from skirnet.featurizers import FEATURE_SETS
    from skirnet.recipes import LARGE_TABLE_ROWS
    from skirnet.user_data import UserData, default_features

    formulas = UserData(["NaCl"], np.ones(1), "formula", "f", "t", np.array(["0"]), Path("x"))
    structures = UserData(["cif"], np.ones(1), "structure", "c", "t", np.array(["0"]), Path("x"))
    assert default_features(formulas, None, LARGE_TABLE_ROWS) == "composition+fractions"
    assert default_features(formulas, None, LARGE_TABLE_ROWS - 1) == "composition"
    assert default_features(formulas, "fractions", LARGE_TABLE_ROWS) == "fractions"
    assert default_features(structures, None, LARGE_TABLE_ROWS) is None
    # a pretrained model brings its inputs, at any size
    assert default_features(formulas, None, LARGE_TABLE_ROWS, "oqmd-band-gap") == "composition"
    assert default_features(formulas, "composition", 5, "oqmd-band-gap") == "composition"
    with pytest.raises(ValueError, match="reads composition attributes, not fractions"):
        default_features(formulas, "fractions", 5, "oqmd-band-gap")
    assert default_features(structures, "composition", 50, "oqmd-band-gap") == "composition"
    with pytest.raises(ValueError, match="crystal structures give it only the 145 composition"):
        default_features(structures, None, 50, "oqmd-band-gap")
    # the parser lists the feature sets without importing the featurizers
    from skirnet.cli._options import FEATURES

    assert tuple(FEATURES["--features"]["choices"]) == tuple(FEATURE_SETS)


@pytest.mark.parametrize(
    "inputs, features, needle",
    [
        ("formula", "both", "need crystal structures"),
        ("structure", "fractions", "are for formulas"),
        ("structure", "composition+fractions", "are for formulas"),
    ],
)
def test_feature_sets_refused_for_the_wrong_inputs(inputs, features, needle) -> None:
    from skirnet.featurizers import featurizer_for

    with pytest.raises(ValueError, match=needle):
        featurizer_for(inputs, features)


def test_cpu_counters_count_io_wait_as_idle(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 5 20 900 300 1 2 3 0 0\ncpu0 50 2 10 450 150 0 1 1 0 0\n")
    assert _threads.cpu_times(str(stat)) == (131, 1331)


@pytest.mark.parametrize(
    ("samples", "threads"),
    [
        # an idle 2-core machine whose cores wait for I/O half the time (load average ~1)
        ([(0, 0), (0, 100)], 2),
        # another process keeps one core busy
        ([(0, 0), (50, 100)], 1),
        # both cores busy: still one thread
        ([(0, 0), (100, 100)], 1),
    ],
)
def test_auto_threads_leave_out_only_cores_doing_work(monkeypatch, samples, threads):
    ticks = iter(samples)
    monkeypatch.setattr(_threads, "cpu_times", lambda: next(ticks))
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    assert _threads.auto_threads() == threads


def test_auto_threads_fall_back_to_the_load_average_without_proc_stat(monkeypatch):
    def no_stat():
        raise FileNotFoundError("/proc/stat")

    monkeypatch.setattr(_threads, "cpu_times", no_stat)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    assert _threads.auto_threads() == 3


@pytest.mark.parametrize(
    ("maes", "words"),
    [
        ((0.1101, 0.1292, 0.161), ["32 % below the random forest", "15 % below PlainNet-17",
                                   "leads already"]),
        ((0.20, 0.19, 0.193), ["4 % above the random forest", "5 % above PlainNet-17",
                               "does not show"]),
    ],
)  # fmt: skip
def test_demo_says_what_its_table_shows_either_way(maes, words):
    results = pd.DataFrame({"model": ["IRNet-17", "PlainNet-17", "RF"], "mae": maes})
    verdict = demo._verdict(results)
    for word in words:
        assert word in verdict
