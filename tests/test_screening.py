"""Screening: generated and file candidates, one output row per input row, Dask = local."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet import CompositionFeaturizer, IRNetRegressor
from skirnet.ensemble import DeepEnsembleRegressor
from skirnet.screening import (
    count_compositions,
    generate_compositions,
    iter_table_formulas,
    score_formulas,
    screen,
)


@pytest.fixture(scope="module")
def sample():
    from skirnet.datasets import load_oqmd_sample

    formulas, y = load_oqmd_sample(return_X_y=True)
    return list(formulas[:600]), np.asarray(y[:600], dtype=float)


def _net(seed=0):
    return IRNetRegressor(hidden_layer_sizes="32x2-16", lr=5e-3, batch_size=64, max_epochs=4,
                          random_state=seed)  # fmt: skip


@pytest.fixture(scope="module")
def model(sample):
    formulas, y = sample
    return make_pipeline(CompositionFeaturizer(), StandardScaler(), _net()).fit(formulas, y)


def test_generated_compositions_are_reduced_unique_and_counted():
    got = list(generate_compositions(["Li", "Fe", "O"], 6))
    assert len(got) == len(set(got)) == count_compositions(["Li", "Fe", "O"], 6)
    assert "Li2O2" not in got and "Li1O1" in got
    assert all(sum(int(c) for c in f if c.isdigit()) <= 6 for f in got if len(f) < 8)
    ternary = list(generate_compositions(["Li", "Fe", "O"], 6, min_elements=3))
    assert all(("Li" in f) and ("Fe" in f) and ("O" in f) for f in ternary)
    balanced = list(generate_compositions(["Na", "Cl"], 4, charge_balanced=True, min_elements=2))
    assert balanced == ["Na1Cl1"]


@pytest.mark.parametrize(
    ("elements", "message"), [(["Li", "Xx"], "not an element"), (["O", "O"], "repeat")]
)
def test_bad_element_lists(elements, message):
    with pytest.raises(ValueError, match=message):
        list(generate_compositions(elements, 3))


def test_screen_generated_space_matches_direct_prediction(model, tmp_path):
    formulas = list(generate_compositions(["Li", "Fe", "O"], 6, min_elements=2))
    result = screen(model, iter(formulas), tmp_path / "out.parquet", chunk_size=50, top_k=5)
    out = pd.read_parquet(result.output)
    assert out["formula"].tolist() == formulas
    np.testing.assert_allclose(out["prediction"], model.predict(formulas), rtol=0, atol=1e-6)
    assert out["error"].isna().all()
    assert result.n_candidates == len(formulas) and result.n_failed == 0
    best = out.nsmallest(5, "prediction")
    assert result.top["formula"].tolist() == best["formula"].tolist()


def test_bad_rows_keep_their_place_with_a_reason(model, tmp_path):
    rows = ["NaCl", "Xx2O", "Fe2O3", "not a formula", "", "LiFePO4"]
    path = tmp_path / "candidates.csv"
    pd.DataFrame({"id": range(len(rows)), "Formula": rows}).to_csv(path, index=False)
    result = screen(model, path, tmp_path / "out.parquet", chunk_size=4)
    out = pd.read_parquet(result.output)
    assert len(out) == len(rows)
    assert out["prediction"].isna().tolist() == [False, True, False, True, True, False]
    assert out["error"].notna().tolist() == [False, True, False, True, True, False]
    assert "Xx" in out["error"][1]
    assert result.n_failed == 3
    good = ["NaCl", "Fe2O3", "LiFePO4"]
    np.testing.assert_allclose(out["prediction"].dropna(), model.predict(good), rtol=0, atol=1e-6)


def test_parquet_input_and_column_choice(model, tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"composition": ["NaCl", "MgO", "Al2O3"]}).to_parquet(path)
    assert list(iter_table_formulas(path, chunk_size=2)) == [["NaCl", "MgO"], ["Al2O3"]]
    with pytest.raises(ValueError, match="Column 'x' is not in"):
        list(iter_table_formulas(path, "x"))
    result = screen(model, path, tmp_path / "o.parquet")
    assert pd.read_parquet(result.output)["formula"].tolist() == ["NaCl", "MgO", "Al2O3"]


def test_ensemble_model_writes_std(sample, tmp_path):
    formulas, y = sample
    pipe = make_pipeline(
        CompositionFeaturizer(), StandardScaler(),
        DeepEnsembleRegressor(_net(), n_estimators=2, random_state=0),
    ).fit(formulas, y)  # fmt: skip
    out = score_formulas(pipe, ["NaCl", "Qq", "MgO"])
    assert list(out.columns) == ["formula", "prediction", "std", "error"]
    assert np.isnan(out["std"][1]) and (out["std"][[0, 2]] > 0).all()


def test_failed_screen_leaves_no_output(model, tmp_path):
    def candidates():
        yield "NaCl"
        raise KeyboardInterrupt

    target = tmp_path / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        screen(model, candidates(), target, chunk_size=1)
    assert list(tmp_path.iterdir()) == []


def test_screen_refuses_a_model_without_featurizer(tmp_path):
    with pytest.raises(TypeError, match="starts with a CompositionFeaturizer"):
        screen(_net(), ["NaCl"], tmp_path / "o.parquet")


def test_dask_local_cluster_gives_identical_results(model, tmp_path):
    distributed = pytest.importorskip("distributed")
    formulas = list(generate_compositions(["Na", "Mg", "O"], 5)) + ["Zz9"]
    local = screen(model, formulas, tmp_path / "local.parquet", chunk_size=20)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        remote = screen(model, formulas, tmp_path / "dask.parquet", chunk_size=20, client=client)
    a, b = pd.read_parquet(local.output), pd.read_parquet(remote.output)
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- skirnet screen


@pytest.fixture(scope="module")
def model_folder(sample, tmp_path_factory):
    from skirnet.pipeline import TrainingSettings, save_pipeline, train_pipeline

    formulas, y = sample
    settings = TrainingSettings(max_epochs=2, hidden_layer_sizes="16", progress=False)
    pipe = train_pipeline(formulas, y, "irnet", 17, settings)
    return save_pipeline(pipe, tmp_path_factory.mktemp("screen") / "model"), pipe


def test_cli_screens_an_element_grid(model_folder, tmp_path, capsys):
    from skirnet.cli import main

    folder, pipe = model_folder
    out = tmp_path / "ranked.parquet"
    argv = ["screen", "--model", str(folder), "--elements", "Li,Fe,O", "--max-atoms", "5"]
    assert main([*argv, "--output", str(out), "--top", "3"]) == 0
    written = pd.read_parquet(out)
    expected = list(generate_compositions(["Li", "Fe", "O"], 5))
    assert written["formula"].tolist() == expected
    np.testing.assert_allclose(written["prediction"], pipe.predict(expected), rtol=1e-5)
    captured = capsys.readouterr()
    best = written.nsmallest(3, "prediction")["formula"].tolist()
    printed = captured.out.splitlines()
    assert printed[0] == "top 3 candidates (lowest prediction first):"
    assert [line.split()[0] for line in printed[2:5]] == best
    assert f"wrote {len(expected)} rows to {out} (0 without a prediction" in captured.err


def test_cli_screens_a_file_keeping_bad_rows(model_folder, tmp_path, capsys):
    from skirnet.cli import main

    folder, pipe = model_folder
    table = tmp_path / "candidates.csv"
    pd.DataFrame({"comp": ["NaCl", "Xx2O", "Fe2O3"]}).to_csv(table, index=False)
    out = tmp_path / "ranked.parquet"
    argv = ["screen", "--model", str(folder), "--data", str(table), "--formula-col", "comp"]
    assert main([*argv, "--output", str(out), "--highest"]) == 0
    written = pd.read_parquet(out)
    assert written["formula"].tolist() == ["NaCl", "Xx2O", "Fe2O3"]
    assert np.isnan(written["prediction"][1]) and "Xx" in written["error"][1]
    assert "1 without a prediction" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "either as --data FILE or as --elements"),
        (["--elements", "Li,O"], "--elements needs --max-atoms"),
        (["--elements", "Li,O", "--max-atoms", "3", "--data", "x.csv"], "either as --data"),
        (["--data", "missing.csv"], "--data missing.csv: no such file"),
    ],
)
def test_cli_screen_errors_exit_2(model_folder, tmp_path, capsys, extra, message):
    from skirnet.cli import main

    out = tmp_path / "o.parquet"
    argv = ["screen", "--model", str(model_folder[0]), "--output", str(out), *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_screen_on_a_local_dask_cluster(model_folder, tmp_path):
    pytest.importorskip("dask.distributed")
    from skirnet.cli import main

    folder, _ = model_folder
    base = ["screen", "--model", str(folder), "--elements", "Na,Cl,O", "--max-atoms", "4"]
    assert main([*base, "--output", str(tmp_path / "a.parquet")]) == 0
    dask = ["--dask", "local", "--threads", "2", "--chunk-size", "7"]
    assert main([*base, *dask, "--output", str(tmp_path / "b.parquet")]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    )


def test_grid_search_on_dask_matches_the_local_one(sample):
    """GridSearchCV's fits as Dask tasks (joblib's dask backend) on 2 local workers."""
    pytest.importorskip("dask.distributed")
    import joblib
    from dask.distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV, KFold

    formulas, y = sample
    X = CompositionFeaturizer().fit_transform(formulas[:200])
    net = IRNetRegressor(hidden_layer_sizes="16", max_epochs=2, batch_size=32, random_state=0)
    grid = {"depth": [10, 17], "hidden_layer_sizes": [None]}
    make = lambda: GridSearchCV(  # noqa: E731
        net, grid, cv=KFold(2, shuffle=True, random_state=0), n_jobs=2,
        scoring="neg_mean_absolute_error",
    )  # fmt: skip
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        local = make().fit(X, y[:200])
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
        joblib.parallel_backend("dask"),
    ):
        remote = make().fit(X, y[:200])
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-6
    )
    assert remote.best_params_ == local.best_params_
