"""Tests of skirnet.featurizers.structure.StructureFeaturizer (Ward et al. 2017 attributes)."""

from __future__ import annotations

import doctest
import gzip
import importlib.util
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Lattice, Structure
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet.featurizers import FeaturizationWarning
from skirnet.featurizers import structure as structure_module
from skirnet.featurizers.structure import StructureFeaturizer

N_EXACT = 30
MAX_SITES_EXACT = 8  # matminer is slow on large cells; keep the test file fast


def _nacl() -> Structure:
    return Structure.from_spacegroup(
        "Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]]
    )


def _cscl() -> Structure:
    return Structure(Lattice.cubic(4.12), ["Cs", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.fixture(scope="module")
def mp_structures(shared_data) -> list[Structure]:
    df = pd.read_csv(shared_data / "structure" / "mp_2018_36737.csv.gz", usecols=["cif"])
    df = df.sample(600, random_state=1)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cif in df["cif"]:
            s = Structure.from_str(cif, fmt="cif")
            if len(s) <= MAX_SITES_EXACT:
                out.append(s)
            if len(out) == N_EXACT:
                break
    return out


def _matminer_reference(structures: list[Structure]) -> np.ndarray:
    from matminer.featurizers.base import MultipleFeaturizer

    mf = MultipleFeaturizer(list(structure_module._matminer_featurizers()))
    rows = []
    for s in structures:
        try:
            rows.append(np.asarray(mf.featurize(s), dtype=float))
        except Exception:  # e.g. layered cells whose Voronoi cells are unbounded
            rows.append(np.full(128, np.nan))
    return np.vstack(rows)


# --------------------------------------------------------------------------- exactness
def test_equals_matminer_on_mp_structures(mp_structures):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeaturizationWarning)
        ours = StructureFeaturizer(errors="nan").fit_transform(mp_structures)
    ref = _matminer_reference(mp_structures)
    assert ours.shape == (N_EXACT, 128)
    # the rows matminer cannot featurize are exactly the rows we report as failed
    np.testing.assert_array_equal(np.isnan(ours).all(axis=1), np.isnan(ref).all(axis=1))
    assert np.isfinite(ours).all(axis=1).sum() >= N_EXACT - 3
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


def test_equals_matminer_on_matbench_dicts(shared_data):
    with gzip.open(shared_data / "structure" / "matbench_phonons.json.gz", "rt") as fh:
        data = json.load(fh)["data"]
    dicts = [row[0] for row in data[:40] if len(row[0]["sites"]) <= 6][:4]
    ours = StructureFeaturizer().transform(dicts)
    ref = _matminer_reference([Structure.from_dict(d) for d in dicts])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


def test_single_site_and_elemental():
    cu = Structure(Lattice.cubic(3.6), ["Cu"], [[0, 0, 0]])
    ours = StructureFeaturizer().transform([cu, _nacl()])
    ref = _matminer_reference([cu, _nacl()])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- labels / sklearn API
def test_feature_names_are_matminers():
    names = StructureFeaturizer().get_feature_names_out()
    expected = [
        lab for f in structure_module._matminer_featurizers() for lab in f.feature_labels()
    ]
    assert list(names) == expected
    assert len(names) == 128
    # the two columns absent from the paper's 126 (Ward et al. 2017, Table I)
    assert "range CN_VoronoiNN" in names
    assert "range neighbor distance variation" in names


def test_sklearn_api():
    f = StructureFeaturizer(errors="nan", n_jobs=2)
    g = clone(f)
    assert g.get_params() == f.get_params()
    assert f.fit([_nacl()]) is f
    assert f.n_features_in_ == 1 and not hasattr(f, "feature_names_in_")
    assert f.n_features_out_ == 128
    pipe = make_pipeline(StructureFeaturizer(), StandardScaler()).fit([_nacl(), _cscl()])
    assert pipe.n_features_in_ == 1
    assert list(f.feature_names_out_) == list(f.get_feature_names_out())
    with pytest.raises(ValueError, match="preset"):
        StructureFeaturizer(preset="nope").fit([_nacl()])
    with pytest.raises(ValueError, match="errors"):
        StructureFeaturizer(errors="ignore").transform([_nacl()])


def test_set_output_pandas_keeps_index():
    df = pd.DataFrame({"structure": [_nacl(), _cscl()], "y": [1.0, 2.0]}, index=["a", "b"])
    f = StructureFeaturizer(column="structure").set_output(transform="pandas")
    out = f.fit_transform(df)
    assert f.n_features_in_ == 2 and list(f.feature_names_in_) == ["structure", "y"]
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == ["a", "b"]
    assert list(out.columns) == list(f.get_feature_names_out())
    with pytest.raises(ValueError, match="column"):
        StructureFeaturizer().transform(df)


def test_input_kinds_agree():
    s = _cscl()
    base = StructureFeaturizer().transform([s])
    for obj in (s.to(fmt="cif"), s.as_dict()):
        np.testing.assert_allclose(StructureFeaturizer().transform([obj]), base, rtol=0, atol=1e-9)
    arr = np.empty((1, 1), dtype=object)
    arr[0, 0] = s
    np.testing.assert_array_equal(StructureFeaturizer().transform(arr), base)
    with pytest.raises(ValueError, match="sequence"):
        StructureFeaturizer().transform(s)


def test_doctest_examples():
    result = doctest.testmod(structure_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------- bad input
def _bad_inputs() -> dict[str, object]:
    overlap = Structure(Lattice.cubic(4.0), ["Na", "Cl"], [[0, 0, 0], [0.001, 0, 0]])
    # two atoms in a 40 A box: the 13 A neighbour shell leaves the cells unbounded
    isolated = Structure(Lattice.cubic(40.0), ["Na", "Cl"], [[0, 0, 0], [0.05, 0, 0]])
    return {
        "could not parse CIF": "data_broken\n_cell_length_a oops\n",
        "no sites": Structure(Lattice.cubic(4.0), [], []),
        "overlapping atoms": overlap,
        "Voronoi tessellation failed": isolated,
    }


@pytest.mark.parametrize("problem", list(_bad_inputs()))
def test_bad_input_raises_with_row_and_problem(problem):
    bad = _bad_inputs()[problem]
    with pytest.raises(ValueError, match=rf"row 1: .*{problem}"):
        StructureFeaturizer().transform([_nacl(), bad])


def test_bad_input_in_a_series_names_its_index_label():
    bad = _bad_inputs()["no sites"]
    with pytest.raises(ValueError, match=r"row 1 \(index 'mp-2'\): .*no sites"):
        StructureFeaturizer().transform(pd.Series([_nacl(), bad], index=["mp-1", "mp-2"]))


def test_bad_inputs_nan_with_one_warning():
    bad = list(_bad_inputs().values())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = StructureFeaturizer(errors="nan").transform([_nacl(), *bad, _cscl()])
    ours = [w for w in caught if "StructureFeaturizer" in str(w.message)]
    assert len(ours) == 1
    assert ours[0].category is FeaturizationWarning
    assert ours[0].filename == __file__  # the user's line
    msg = str(ours[0].message)
    assert "4 of 6" in msg and "row 1: could not parse CIF" in msg
    assert np.isnan(out[1:5]).all()
    assert np.isfinite(out[[0, 5]]).all()


def test_unsupported_type_message():
    with pytest.raises(ValueError, match="row 0: unsupported input type int"):
        StructureFeaturizer().transform([3])


# --------------------------------------------------------------------------- caching / parallel / progress
@pytest.mark.parametrize("as_memory", [False, True])
def test_memory_cache_skips_recomputation(tmp_path, monkeypatch, as_memory):
    from joblib import Memory

    memory = Memory(tmp_path, verbose=0) if as_memory else str(tmp_path)
    structures = [_nacl(), _cscl()]
    first = StructureFeaturizer(memory=memory).transform(structures)

    def boom(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(structure_module, "compute_voronoi_neighbors", boom)
    second = StructureFeaturizer(memory=memory).transform(structures)
    np.testing.assert_array_equal(first, second)
    # without a cache the patched function is reached
    with pytest.raises(ValueError, match="recomputed despite the cache"):
        StructureFeaturizer().transform(structures)


def test_parallel_matches_serial(mp_structures):
    some = mp_structures[:4]
    serial = StructureFeaturizer().transform(some)
    parallel = StructureFeaturizer(n_jobs=2).transform(some)
    np.testing.assert_array_equal(serial, parallel)


def test_progress_bar(capsys, monkeypatch):
    StructureFeaturizer(progress_bar=True).transform([_nacl()])
    assert "StructureFeaturizer" in capsys.readouterr().err
    StructureFeaturizer(progress_bar=False).transform([_nacl()])
    assert capsys.readouterr().err == ""
    # the automatic rule: a bar from 3 s of estimated work on (0.05 s per structure)
    StructureFeaturizer().transform([_nacl()] * 2)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(StructureFeaturizer, "_seconds_per_item", 1.5)
    StructureFeaturizer().transform([_nacl()] * 2)
    assert "2/2" in capsys.readouterr().err


def test_deprecated_progress_still_works(capsys):
    with pytest.warns(FutureWarning, match="progress_bar"):
        StructureFeaturizer(progress=True).transform([_nacl()])
    assert "StructureFeaturizer" in capsys.readouterr().err


# --------------------------------------------------------------------------- composition=True
@pytest.mark.skipif(
    importlib.util.find_spec("skirnet.featurizers.composition") is None,
    reason="CompositionFeaturizer not available yet",
)
def test_composition_appends_145_columns():
    from skirnet.featurizers.composition import CompositionFeaturizer

    structures = [_nacl(), _cscl()]
    f = StructureFeaturizer(composition=True)
    out = f.fit_transform(structures)
    assert out.shape == (2, 273)
    names = f.get_feature_names_out()
    comp = CompositionFeaturizer()
    assert list(names[128:]) == list(
        comp.fit([s.composition for s in structures]).get_feature_names_out()
    )
    np.testing.assert_allclose(
        out[:, :128], StructureFeaturizer().transform(structures), rtol=0, atol=0
    )
    np.testing.assert_allclose(
        out[:, 128:], comp.transform([s.composition for s in structures]), rtol=0, atol=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = StructureFeaturizer(composition=True, errors="nan").transform([_nacl(), "not a cif"])
    assert np.isnan(bad[1]).all() and np.isfinite(bad[0]).all()


# --------------------------------------------------------------------------- safety (issue 16)
def _matbench_dicts(shared_data, n: int) -> list[dict]:
    with gzip.open(shared_data / "structure" / "matbench_phonons.json.gz", "rt") as fh:
        return [row[0] for row in json.load(fh)["data"][:n]]


def test_structure_dict_cannot_import_modules(shared_data):
    import copy
    import sys

    legit = _matbench_dicts(shared_data, 2)
    evil = copy.deepcopy(legit[1])
    evil["sites"][0]["properties"] = {"x": {"@module": "this", "@callable": "s"}}
    sys.modules.pop("this", None)
    with pytest.raises(ValueError, match=r"row 1: structure dict holds a '@callable'"):
        StructureFeaturizer().transform([legit[0], evil])
    assert "this" not in sys.modules  # nothing was imported
    evil["sites"][0]["properties"] = {"x": {"@module": "this", "@class": "X"}}
    with pytest.raises(ValueError, match=r"row 1: .*refers to the module 'this'"):
        StructureFeaturizer().transform([legit[0], evil])
    assert "this" not in sys.modules
    with pytest.warns(FeaturizationWarning, match="1 of 2"):
        out = StructureFeaturizer(errors="nan").transform([evil, legit[0]])
    assert "this" not in sys.modules
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    # the legitimate Matbench dicts (pymatgen's own classes) still load
    assert np.isfinite(StructureFeaturizer().transform(legit)).all()


def test_not_sequences_of_structures_are_refused():
    with pytest.raises(TypeError, match="got a bytes"):
        StructureFeaturizer().transform(_cscl().to(fmt="cif").encode())
    with pytest.raises(TypeError, match="got a dict"):
        StructureFeaturizer().transform(_cscl().as_dict())
    with pytest.raises(ValueError, match="'n_jobs' parameter of StructureFeaturizer"):
        StructureFeaturizer(n_jobs=0).transform([_cscl()])


def test_sites_listed_outside_the_cell_give_the_same_attributes(mp_structures):
    # a file may list any periodic copy of a site; the crystal, and its attributes, are
    # the same (the tessellation used to pair a wrapped site with unwrapped neighbours)
    featurizer = StructureFeaturizer(progress_bar=False)
    for crystal in mp_structures[:3]:
        shifts = np.random.RandomState(0).randint(-2, 3, size=(len(crystal), 3))
        moved = Structure(crystal.lattice, crystal.species, crystal.frac_coords + shifts)
        assert (moved.frac_coords < 0).any() or (moved.frac_coords >= 1).any()
        np.testing.assert_allclose(
            featurizer.fit_transform([moved]), featurizer.fit_transform([crystal]), atol=1e-9
        )
