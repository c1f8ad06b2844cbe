"""The command line under faults: a real Ctrl-C, failing writes and damaged model folders."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from skirnet.cli import main
from skirnet.datasets import load_oqmd_sample

REPO_ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process")


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    frame = load_oqmd_sample(as_frame=True).frame.sample(400, random_state=2)
    path = tmp_path_factory.mktemp("data") / "dh.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(table, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("models") / "m"
    argv = ["train", "--data", str(table), "--out", str(out), "--epochs", "2"]
    assert main([*argv, "--hidden-layer-sizes", "16", "--threads", "1"]) == 0
    return out


def _interrupt_after_first_epoch(argv: list[str]) -> subprocess.CompletedProcess:
    """Run ``python -m skirnet ARGV --verbose`` and send SIGINT once epoch 1 is printed."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "skirnet", *argv, "--verbose", "--threads", "1"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines = []
    try:
        for line in child.stdout:
            lines.append(line)
            if re.match(r"\s+1\s+\S", line):  # skorch's row for epoch 1
                child.send_signal(signal.SIGINT)
                break
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    return subprocess.CompletedProcess(child.args, child.returncode, "".join(lines) + out, err)


@posix_only
def test_ctrl_c_during_train_exits_130_and_keeps_the_previous_model(table, model, tmp_path):
    before = pd.read_csv(table)["formula"].head(20).tolist()
    reference = subprocess.run(
        [sys.executable, "-m", "skirnet", "predict", "--model", str(model), "--data", str(table)],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT,
    ).stdout  # fmt: skip
    argv = ["train", "--data", str(table), "--out", str(model), "--epochs", "3000"]
    done = _interrupt_after_first_epoch(
        [*argv, "--hidden-layer-sizes", "32", "--patience", "3000"]
    )
    assert done.returncode == 130, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"skirnet: interrupted while training IRNet-17 \(epoch \d+\); "
        r"nothing was saved",
        last,
    ), last
    assert "Traceback" not in done.stderr
    again = subprocess.run(
        [sys.executable, "-m", "skirnet", "predict", "--model", str(model), "--data", str(table)],
        capture_output=True, text=True, check=True, cwd=REPO_ROOT,
    ).stdout  # fmt: skip
    assert again == reference and before  # the old model, whole and unchanged


@posix_only
def test_ctrl_c_during_compare_exits_130_without_results(table, tmp_path):
    out = tmp_path / "cmp"
    argv = ["compare", "--data", str(table), "--out", str(out), "--models", "irnet,rf"]
    done = _interrupt_after_first_epoch([*argv, "--epochs", "3000", "--patience", "3000"])
    assert done.returncode == 130, done.stderr
    assert "skirnet: interrupted while" in done.stderr.strip().splitlines()[-1]
    assert not (out / "results.json").exists()


def test_a_failing_output_write_leaves_the_previous_file(table, model, tmp_path, monkeypatch):
    output = tmp_path / "pred.csv"
    output.write_text("formula,prediction\nprevious,1.0\n")
    original = pd.DataFrame.to_csv

    def half_then_fail(self, path, *args, **kwargs):
        original(self.head(3), path, *args, **kwargs)
        raise OSError(28, "No space left on device (injected)")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    argv = ["predict", "--model", str(model), "--data", str(table), "--output", str(output)]
    assert main(argv) == 2
    assert output.read_text() == "formula,prediction\nprevious,1.0\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pred.csv"]


def test_predict_refuses_to_overwrite_its_input(table, model, capsys):
    argv = ["predict", "--model", str(model), "--data", str(table), "--output", str(table)]
    assert main(argv) == 2
    assert "is the --data file" in capsys.readouterr().err
    assert pd.read_csv(table).shape == (400, 3)  # untouched


def _damage(folder: Path, how: str) -> None:
    net = folder / "net"
    if how == "truncated weights":
        weights = net / "weights.safetensors"
        weights.write_bytes(weights.read_bytes()[:200])
    elif how == "JSON list":
        (folder / "pipeline.json").write_text("[1, 2, 3]")
    elif how == "unknown featurizer parameter":
        spec = json.loads((folder / "pipeline.json").read_text())
        spec["featurizer"]["params"]["colour"] = "red"
        (folder / "pipeline.json").write_text(json.dumps(spec))
    elif how == "missing key":
        config = json.loads((net / "skirnet.json").read_text())
        del config["params"]
        (net / "skirnet.json").write_text(json.dumps(config))
    elif how == "bad optimizer":
        config = json.loads((net / "skirnet.json").read_text())
        config["params"]["optimizer"] = "rmsprop"
        (net / "skirnet.json").write_text(json.dumps(config))


@pytest.mark.parametrize(
    ("how", "needle"),
    [
        ("truncated weights", "weights.safetensors: SHA-256"),
        ("JSON list", "pipeline.json: expected a JSON object"),
        ("unknown featurizer parameter", "unknown CompositionFeaturizer parameter(s) ['colour']"),
        ("missing key", "skirnet.json: key 'params' is missing"),
        ("bad optimizer", "skirnet.json: params: The 'optimizer' parameter"),
    ],
)
def test_damaged_model_folders_exit_2_with_one_line(table, model, tmp_path, capsys, how, needle):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(model, folder)
    _damage(folder, how)
    assert main(["predict", "--model", str(folder), "--data", str(table)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("skirnet: error: ") and needle in err, err
    assert str(folder) in err


def test_every_bad_input_exits_exactly_2(table, tmp_path, capsys):
    cases = [
        ["compare", "--data", str(tmp_path / "none.csv")],
        ["train", "--data", str(table), "--out", str(tmp_path / "m"), "--model", "irnet,plain"],
        ["predict", "--model", str(tmp_path / "none"), "--data", str(table)],
        ["screen", "--model", str(tmp_path / "none"), "--output", str(tmp_path / "o.parquet")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("skirnet: error: ") and err.count("\n") == 1, (argv, err)
    with pytest.raises(SystemExit) as usage:  # argparse's own usage errors exit 2 too
        main(["train", "--data"])
    assert usage.value.code == 2
    assert main([]) == 2
