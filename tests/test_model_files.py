"""Model folders under faults and tampering: atomic saves, checksums, shapes, clear errors."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from skirnet import IRNetRegressor, ModelFileError, _atomic, load, persistence, save


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(60, 4))
    return X, X[:, 0] - X[:, 1]


@pytest.fixture(scope="module")
def models(data):
    X, y = data
    first = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=2, random_state=0).fit(X, y)
    second = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=2, random_state=1).fit(X, y)
    return first, second


def _failing_nth(monkeypatch, n: int) -> None:
    """Make the n-th file write (bytes or text), rename or exchange of folders raise OSError."""
    calls = {"count": 0}

    def wrap(original):
        def failing(*args, **kwargs):
            calls["count"] += 1
            if calls["count"] == n:
                raise OSError(28, "No space left on device (injected)")
            return original(*args, **kwargs)

        return failing

    monkeypatch.setattr(Path, "write_bytes", wrap(Path.write_bytes))
    monkeypatch.setattr(Path, "write_text", wrap(Path.write_text))
    monkeypatch.setattr(_atomic.os, "replace", wrap(os.replace))
    monkeypatch.setattr(_atomic, "_exchange", wrap(_atomic._exchange))


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("step", range(1, 7))
def test_save_failing_at_any_step_keeps_the_previous_model(models, data, tmp_path, step, exchange):
    # the steps: weights, optimiser state, JSON, then exchanging the old folder and the new
    # one or, where the system cannot, moving the old folder aside and the new one in; a
    # save failing at none of its steps succeeds
    if exchange and _atomic._renameat2() is None:
        pytest.skip("this system cannot exchange folders")
    X, _ = data
    first, second = models
    folder = save(first, tmp_path / "m")
    with pytest.MonkeyPatch.context() as patch:
        _failing_nth(patch, step)
        if not exchange:
            patch.setattr(_atomic, "_exchange", lambda first, second: False)
        try:
            save(second, folder)
            succeeded = True
        except OSError as exc:
            assert "injected" in str(exc)
            succeeded = False
    expected = second if succeeded else first
    np.testing.assert_array_equal(load(folder).predict(X), expected.predict(X))
    assert succeeded == (step > (4 if exchange else 5))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "m"]
    assert leftovers == []


def test_save_refuses_a_folder_holding_other_files(models, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"holds other files \(notes.txt\)"):
        save(models[0], tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_saved_files_follow_the_umask(models, tmp_path):
    old = os.umask(0o027)
    try:
        folder = save(models[0], tmp_path / "m")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path.name


def test_float16_weights_without_optimizer(models, data, tmp_path):
    X, y = data
    model = models[0]
    full = save(model, tmp_path / "full")
    half = save(model, tmp_path / "half", weights_dtype="float16", optimizer_state=False)
    assert not (half / "optimizer.safetensors").exists()
    stored = safetensors.torch.load_file(str(half / "weights.safetensors"))
    assert {v.dtype for v in stored.values() if v.is_floating_point()} == {torch.float16}
    assert json.loads((half / "skirnet.json").read_text())["weights"]["dtype"] == "float16"
    assert (full / "optimizer.safetensors").is_file()
    loaded = load(half)
    assert all(p.dtype == torch.float32 for p in loaded.module_.parameters())
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), atol=5e-3)
    loaded.set_params(warm_start=True, max_epochs=1).fit(X, y)  # a fresh optimiser
    with pytest.raises(ValueError, match="weights_dtype must be one of"):
        save(model, tmp_path / "x", weights_dtype="bfloat16")


def test_one_flipped_byte_in_the_weights_is_caught(models, tmp_path):
    folder = save(models[0], tmp_path / "m")
    weights = folder / "weights.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-3] ^= 0x40
    weights.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=r"weights.safetensors: SHA-256 .* does not match"):
        load(folder)


def _edit_json(folder: Path, edit) -> None:
    path = folder / "skirnet.json"
    config = json.loads(path.read_text())
    edit(config)
    path.write_text(json.dumps(config))


def test_shapes_are_checked_before_allocating(models, tmp_path):
    folder = save(models[0], tmp_path / "m")
    # 10**12 input features would ask for terabytes if the network were built first
    _edit_json(folder, lambda c: c["fitted"].update(n_features_in_=10**12))
    with pytest.raises(ModelFileError, match=r"weights do not fit the network .*10{12} features"):
        load(folder)


def test_weights_of_another_architecture_are_refused(data, models, tmp_path):
    X, y = data
    other = IRNetRegressor(hidden_layer_sizes="16", max_epochs=1, random_state=0).fit(X, y)
    folder = save(models[0], tmp_path / "m")
    save(other, tmp_path / "other")
    _edit_json(tmp_path / "other", lambda c: None)
    (tmp_path / "other" / "weights.safetensors").replace(folder / "weights.safetensors")
    _edit_json(folder, lambda c: c.pop("weights"))  # no checksum: the shapes still catch it
    with pytest.raises(ModelFileError, match="weights do not fit the network"):
        load(folder)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["params"].update(optimizer="rmsprop"), r"params: The 'optimizer' parameter"),
        (lambda c: c["params"].update(precision="fp64"), r"params: The 'precision' parameter"),
        (lambda c: c.update(format_version=7), r"model format 7 is not one this skirnet reads"),
        (lambda c: c.pop("params"), r"key 'params' is missing"),
        (lambda c: c.update({"class": "os.system"}), r"unknown estimator class 'os.system'"),
        (lambda c: c["fitted"].update(n_outputs_=0), r"fitted n_outputs_ must be a positive"),
    ],
)
def test_tampered_json_gives_one_line_naming_the_file(models, tmp_path, edit, message):
    folder = save(models[0], tmp_path / "m")
    _edit_json(folder, edit)
    with pytest.raises(ModelFileError, match=message) as info:
        load(folder)
    assert str(folder / "skirnet.json") in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", ""])
def test_json_that_is_not_an_object(models, tmp_path, text):
    folder = save(models[0], tmp_path / "m")
    (folder / "skirnet.json").write_text(text)
    with pytest.raises(ModelFileError, match=r"skirnet.json: (expected a JSON object|not valid)"):
        load(folder)


def test_truncated_weights(models, tmp_path):
    folder = save(models[0], tmp_path / "m")
    weights = folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    _edit_json(folder, lambda c: c.pop("weights"))
    with pytest.raises(ModelFileError, match="damaged weights"):
        load(folder)


def test_truncated_optimizer_state_names_its_file(models, tmp_path):
    folder = save(models[0], tmp_path / "m")
    optimizer = folder / "optimizer.safetensors"
    optimizer.write_bytes(optimizer.read_bytes()[:100])
    with pytest.raises(
        ModelFileError, match=r"optimizer.safetensors: SHA-256 .* optimiser state was changed"
    ):
        load(folder)
    # a folder from before the checksum was recorded: the file is found damaged on its own
    _edit_json(folder, lambda c: c["optimizer"].pop("sha256"))
    with pytest.raises(ModelFileError) as info:
        load(folder)
    message = str(info.value)
    assert message.startswith(f"{optimizer}: damaged optimiser state (")
    assert "damaged weights" not in message and "\n" not in message


def test_folders_written_before_the_checksums_still_load(models, data, tmp_path):
    # as the code before this file's checksum was recorded wrote them: no SHA-256 of the
    # optimiser state; the weights' one was recorded already
    X, y = data
    model = models[0]
    folder = save(model, tmp_path / "m")
    config = json.loads((folder / "skirnet.json").read_text())
    del config["optimizer"]["sha256"]
    (folder / "skirnet.json").write_text(json.dumps(config, indent=2))
    loaded = load(folder)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    saved_state = model.net_.optimizer_.state_dict()["state"]
    loaded_state = loaded.net_.optimizer_.state_dict()["state"]
    for index, state in saved_state.items():
        for name, value in state.items():
            torch.testing.assert_close(loaded_state[index][name], value, rtol=0, atol=0)


def _counting_reads(monkeypatch) -> list[Path]:
    """Record every reading of a model folder's files by ``load``."""
    reads: list[Path] = []

    def counting(path):
        reads.append(path)
        return read(path)

    read = persistence.read_files
    monkeypatch.setattr(persistence, "read_files", counting)
    return reads


def test_a_missing_folder_is_not_waited_for(tmp_path, monkeypatch):
    # read again only once (a save may just have swapped it in), as no save is under way
    reads = _counting_reads(monkeypatch)
    with pytest.raises(FileNotFoundError, match="No skirnet model"):
        load(tmp_path / "nothing")
    assert len(reads) == 2


def test_a_damaged_file_is_not_waited_for(models, tmp_path, monkeypatch):
    # a save in progress changes the files between two reads; damage reads the same
    folder = save(models[0], tmp_path / "m")
    weights = folder / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"!")
    reads = _counting_reads(monkeypatch)
    with pytest.raises(ModelFileError, match=r"weights.safetensors: SHA-256"):
        load(folder)
    assert len(reads) == 3
