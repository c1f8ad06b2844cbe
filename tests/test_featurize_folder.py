"""featurize_to_folder: chunks written as they finish, resumed, failures listed by id."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skirnet.featurizers import CompositionFeaturizer, FeaturizationWarning, featurize_to_folder
from skirnet.featurizers import _folder as folder_module

FORMULAS = ["NaCl", "Fe2O3", "Xx2", "LiCoO2", "Si", "Cu3Au", "H2O", "2Na", "MgO", "Al2O3"]
IDS = [f"c{i}" for i in range(len(FORMULAS))]


def _expected() -> np.ndarray:
    with pytest.warns(FeaturizationWarning, match="2 of 10 row"):
        return CompositionFeaturizer(errors="nan").fit_transform(FORMULAS)


def test_features_and_failures(tmp_path):
    X, failures = featurize_to_folder(
        CompositionFeaturizer(), FORMULAS, tmp_path, ids=IDS, chunk_size=3, progress_bar=False
    )
    np.testing.assert_array_equal(X.to_numpy(), _expected())
    assert list(X.index) == IDS and list(X.columns) == CompositionFeaturizer().feature_labels()
    assert failures["id"].tolist() == ["c2", "c7"] and failures["row"].tolist() == [2, 7]
    assert "unknown element(s) 'Xx'" in failures["reason"][0]
    assert not failures["reason"].str.contains("cannot featurize row").any()
    assert sorted(p.name for p in tmp_path.glob("chunk-*.npz")) == [
        f"chunk-0000{i}.npz" for i in range(4)
    ]


def test_an_interrupted_run_resumes_without_recomputing(tmp_path, monkeypatch):
    calls = []
    real = folder_module.featurize_chunk

    def fail_on_third(featurizer, rows):
        calls.append(list(rows))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(featurizer, rows)

    monkeypatch.setattr(folder_module, "featurize_chunk", fail_on_third)
    with pytest.raises(KeyboardInterrupt):
        featurize_to_folder(
            CompositionFeaturizer(), FORMULAS, tmp_path, ids=IDS, chunk_size=3, progress_bar=False
        )
    assert len(list(tmp_path.glob("chunk-*.npz"))) == 2  # nothing half-written
    assert not list(tmp_path.glob(".*partial"))
    calls.clear()
    X, failures = featurize_to_folder(
        CompositionFeaturizer(), FORMULAS, tmp_path, ids=IDS, chunk_size=3, progress_bar=False
    )
    assert calls == [FORMULAS[6:9], FORMULAS[9:]]  # only the missing chunks
    np.testing.assert_array_equal(X.to_numpy(), _expected())
    assert failures["id"].tolist() == ["c2", "c7"]  # failures of loaded chunks too


def test_a_folder_of_another_run_is_refused(tmp_path):
    featurize_to_folder(
        CompositionFeaturizer(), FORMULAS, tmp_path, chunk_size=3, progress_bar=False
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["rows"] == 10 and manifest["featurizer"]["class"] == "CompositionFeaturizer"
    for other in (
        dict(rows=FORMULAS[:-1]),
        dict(featurizer=CompositionFeaturizer(preset="magpie")),
        dict(chunk_size=4),
    ):
        kwargs = {"featurizer": CompositionFeaturizer(), "rows": FORMULAS, "chunk_size": 3}
        kwargs.update(other)
        with pytest.raises(ValueError, match="holds features of another run"):
            featurize_to_folder(folder=tmp_path, progress_bar=False, **kwargs)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="ids has 2 entries for 10 rows"):
        featurize_to_folder(CompositionFeaturizer(), FORMULAS, tmp_path, ids=["a", "b"])
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        featurize_to_folder(CompositionFeaturizer(), FORMULAS, tmp_path, chunk_size=0)
