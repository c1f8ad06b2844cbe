"""Featurizers and networks composed in one scikit-learn Pipeline, on small real data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import CompositionFeaturizer, IRNetRegressor, StructureFeaturizer, load, save
from skirnet.datasets import load_oqmd_sample


@pytest.fixture(scope="module")
def oqmd():
    frame = load_oqmd_sample(as_frame=True).frame
    frame = frame[frame["target"].abs() < 5]  # leave the sample's few extreme outliers out
    train, test = frame[frame["split"] == "train"][:1500], frame[frame["split"] == "test"][:300]
    return train["formula"], train["target"].to_numpy(), test["formula"], test["target"].to_numpy()


def test_formulas_to_predictions_in_one_pipeline(oqmd, tmp_path):
    formulas, y, test_formulas, y_test = oqmd
    pipe = Pipeline(
        [
            ("features", CompositionFeaturizer()),
            ("scale", StandardScaler()),
            (
                "net",
                IRNetRegressor(depth=10, lr=1e-3, batch_size=64, max_epochs=15, random_state=0),
            ),
        ]
    )
    pipe.fit(formulas, y)
    pred = pipe.predict(test_formulas)
    assert pred.shape == (len(test_formulas),) and np.isfinite(pred).all()
    mae = np.mean(np.abs(pred - y_test))
    baseline = np.mean(np.abs(np.median(y) - y_test))
    assert mae < 0.6 * baseline, (mae, baseline)
    assert pipe.named_steps["net"].n_features_in_ == 145
    # the network saved on its own reloads with identical predictions inside the pipeline
    pipe.steps[-1] = ("net", load(save(pipe.named_steps["net"], tmp_path / "net")))
    np.testing.assert_array_equal(pipe.predict(test_formulas), pred)


def test_pandas_feature_names_reach_the_network(oqmd):
    formulas, y, _, _ = oqmd
    features = CompositionFeaturizer().set_output(transform="pandas")
    X = features.fit_transform(formulas[:200])
    net = IRNetRegressor(hidden_layer_sizes="16", max_epochs=1, random_state=0).fit(X, y[:200])
    assert list(net.feature_names_in_) == list(features.get_feature_names_out())


def test_structures_and_composition_to_predictions(shared_data, monkeypatch):
    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(shared_data))
    from skirnet.datasets import load_structure_dataset

    structures, y = load_structure_dataset("mp_2018", n_rows=40, return_X_y=True)
    pipe = Pipeline(
        [
            ("features", StructureFeaturizer(composition=True, errors="nan")),
            ("impute", SimpleImputer()),
            ("scale", StandardScaler()),
            (
                "net",
                IRNetRegressor(hidden_layer_sizes="32x2", lr=1e-2, max_epochs=5, random_state=0),
            ),
        ]
    )
    pipe.fit(structures, y)
    assert pipe.named_steps["net"].n_features_in_ == 273
    assert np.isfinite(pipe.predict(structures[:5])).all()
