"""skirnet.pipeline: settings from a recipe, the network pipeline, save and load whole."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from skirnet import ModelFileError
from skirnet.datasets import load_oqmd_sample
from skirnet.featurizers import featurizer_for
from skirnet.pipeline import (
    FEATURE_CLIP,
    PipelineFileError,
    TrainingSettings,
    fit_featurized,
    input_kind,
    load_pipeline,
    make_formula_pipeline,
    make_net,
    save_pipeline,
    train_pipeline,
)

TINY = TrainingSettings(max_epochs=2, hidden_layer_sizes="16x2-8", progress=False)


def test_settings_start_from_the_recipe_and_name_what_they_override():
    settings = TrainingSettings("large-batch", lr=5e-3)
    assert settings.training_params()["batch_size"] == 1024
    assert settings.training_params()["lr"] == 5e-3 and settings.overrides() == {"lr": 5e-3}
    line = settings.describe()
    assert line.startswith("recipe large-batch:") and "(not the recipe's: lr)" in line


def test_make_net_scales_clips_then_trains():
    pipe = make_net("srnet", 10, TrainingSettings(), label="SRNet-10")
    assert [name for name, _ in pipe.steps] == ["scale", "clip", "net"]
    clip = pipe.named_steps["clip"]
    np.testing.assert_array_equal(clip.transform(np.array([[-1e6, 0.5, 1e6]])),
                                  [[-FEATURE_CLIP, 0.5, FEATURE_CLIP]])  # fmt: skip
    net = pipe.named_steps["net"]
    assert type(net).__name__ == "SRNetRegressor" and net.depth == 10 and net.lr == 1e-4


@pytest.fixture(scope="module")
def trained():
    formulas, y = load_oqmd_sample(return_X_y=True)
    return train_pipeline(list(formulas)[:200], np.asarray(y)[:200], "irnet", 17, TINY)


def test_fit_featurized_fits_on_the_given_features_and_never_runs_the_featurizer():
    from skirnet.featurizers import CompositionFeaturizer

    formulas, y = load_oqmd_sample(return_X_y=True)
    formulas, y = list(formulas)[:120], np.asarray(y)[:120]
    X = CompositionFeaturizer(progress_bar=False).fit_transform(formulas)
    pipe = make_formula_pipeline("irnet", 17, TINY)

    def no_featurizing(rows):
        raise AssertionError("fit_featurized featurized the inputs again")

    featurizer = pipe.named_steps["featurize"]
    featurizer.transform = no_featurizing
    fitted = fit_featurized(pipe, formulas[:100], X[:100], y[:100], (X[100:], y[100:]))
    del featurizer.transform
    assert fitted is pipe
    net = pipe.named_steps["net"]
    assert pipe.named_steps["scale"].n_samples_seen_ == 100  # the validation rows not in it
    assert len(net.history_) == 2 and net.best_epoch_ is not None
    np.testing.assert_allclose(pipe.predict(formulas[100:]), pipe[1:].predict(X[100:]))


def test_fit_featurized_says_so_when_training_was_interrupted(monkeypatch):
    from skirnet.estimators import IRNetRegressor

    formulas, y = load_oqmd_sample(return_X_y=True)
    formulas, y = list(formulas)[:40], np.asarray(y)[:40]
    pipe = make_formula_pipeline("irnet", 17, TINY)
    X = featurizer_for("formula").set_params(progress_bar=False).fit_transform(formulas)

    def interrupted_fit(self, X, y, **kwargs):
        self.interrupted_ = True
        return self

    monkeypatch.setattr(IRNetRegressor, "fit", interrupted_fit)
    with pytest.raises(KeyboardInterrupt):
        fit_featurized(pipe, formulas, X, y)


def test_save_and_load_give_the_same_predictions(trained, tmp_path):
    folder = save_pipeline(trained, tmp_path / "m", formula_col="formula", target_col="dH")
    loaded, spec = load_pipeline(folder)
    queries = ["NaCl", "Fe2O3", "LiCoO2"]
    np.testing.assert_array_equal(loaded.predict(queries), trained.predict(queries))
    assert spec["formula_col"] == "formula" and spec["target_col"] == "dH"
    assert spec["featurizer"]["class"] == "CompositionFeaturizer"
    assert input_kind(loaded) == input_kind(trained) == "formula"


def _edit(folder, change):
    path = folder / "pipeline.json"
    spec = json.loads(path.read_text())
    change(spec)
    path.write_text(json.dumps(spec))


def test_a_damaged_featurizer_entry_is_refused(trained, tmp_path):
    folder = save_pipeline(trained, tmp_path / "m")
    _edit(folder, lambda s: s["featurizer"].update({"class": "os.system"}))
    with pytest.raises(PipelineFileError, match="unsupported featurizer 'os.system'"):
        load_pipeline(folder)
    folder = save_pipeline(trained, tmp_path / "m2")
    _edit(folder, lambda s: s["featurizer"]["params"].update({"bogus": 1}))
    with pytest.raises(
        PipelineFileError, match=r"unknown CompositionFeaturizer parameter\(s\) \['bogus'\]"
    ):
        load_pipeline(folder)


def test_a_network_from_another_save_is_refused(trained, tmp_path):
    # pipeline.json (the featurizer and scaler) of one save, net/ of another
    folder = save_pipeline(trained, tmp_path / "m")
    other = save_pipeline(trained, tmp_path / "other", weights_dtype="float16")
    shutil.rmtree(folder / "net")
    shutil.copytree(other / "net", folder / "net")
    with pytest.raises(PipelineFileError) as info:
        load_pipeline(folder)
    message = str(info.value)
    assert message.startswith(f"{folder / 'net' / 'skirnet.json'}: SHA-256 ")
    assert f"recorded in {folder / 'pipeline.json'}; the network is not the one" in message
    assert "\n" not in message


def test_a_truncated_optimizer_file_is_named(trained, tmp_path):
    folder = save_pipeline(trained, tmp_path / "m")
    optimizer = folder / "net" / "optimizer.safetensors"
    optimizer.write_bytes(optimizer.read_bytes()[:100])
    with pytest.raises(ModelFileError) as info:
        load_pipeline(folder)
    assert str(info.value).startswith(f"{optimizer}: SHA-256 ")
    assert "optimiser state was changed or damaged" in str(info.value)


def test_a_pipeline_saved_before_the_checksums_still_loads(trained, tmp_path):
    # the files as the code before the checksums wrote them: pipeline.json without the
    # SHA-256 of net/skirnet.json, which has none of the optimiser state
    folder = save_pipeline(trained, tmp_path / "m")
    spec = json.loads((folder / "pipeline.json").read_text())
    del spec["net_sha256"]
    (folder / "pipeline.json").write_text(json.dumps(spec, indent=2) + "\n")
    config = json.loads((folder / "net" / "skirnet.json").read_text())
    del config["optimizer"]["sha256"]
    (folder / "net" / "skirnet.json").write_text(json.dumps(config, indent=2))
    loaded, spec = load_pipeline(folder)
    queries = ["NaCl", "Fe2O3", "LiCoO2"]
    np.testing.assert_array_equal(loaded.predict(queries), trained.predict(queries))
    assert "net_sha256" not in spec


def test_a_structure_pipeline_round_trips(tmp_path):
    rng = np.random.RandomState(0)
    crystals, y = [], []
    for a in rng.uniform(3.9, 4.6, size=24):
        crystals.append(Structure(Lattice.cubic(a), ["Cs", "Cl"], [[0, 0, 0], [0.5] * 3]))
        y.append(-a)
    # a featurizer with a cache folder: the folder is the machine's, not the model's
    featurizer = featurizer_for("structure").set_params(memory=str(tmp_path / "cache"))
    pipe = make_formula_pipeline("irnet", 17, TINY, featurizer=featurizer)
    assert pipe.steps[0][1] is not featurizer  # the caller's object is left alone
    pipe.fit(crystals, np.array(y))
    folder = save_pipeline(pipe, tmp_path / "s", structure_col="cif")
    loaded, spec = load_pipeline(folder)
    assert spec["featurizer"]["class"] == "StructureFeaturizer" and spec["structure_col"] == "cif"
    assert input_kind(loaded) == "structure"
    assert spec["featurizer"]["params"]["composition"] is True
    assert spec["featurizer"]["params"]["memory"] is None
    np.testing.assert_array_equal(loaded.predict(crystals[:3]), pipe.predict(crystals[:3]))
    _edit(folder, lambda s: s["featurizer"]["params"].update({"memory": "/tmp/cache"}))
    with pytest.raises(PipelineFileError, match="memory must be null"):
        load_pipeline(folder)
