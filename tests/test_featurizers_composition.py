"""Tests of CompositionFeaturizer: exactness against matminer, formula styles, errors, sklearn API."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skirnet.featurizers import CompositionFeaturizer, FeaturizationWarning
from skirnet.featurizers.composition import ELEMNET_ELEMENTS

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pymatgen.*")


def _matminer(preset: str = "irnet"):
    from matminer.featurizers.base import MultipleFeaturizer
    from matminer.featurizers.composition import (
        ElementProperty,
        IonProperty,
        Stoichiometry,
        ValenceOrbital,
    )

    props = ["avg"] if preset == "irnet" else ["frac"]
    return MultipleFeaturizer(
        [
            Stoichiometry(),
            ElementProperty.from_preset("magpie"),
            ValenceOrbital(props=props),
            IonProperty(fast=True),
        ]
    )


def _reference(formulas: list, preset: str = "irnet") -> np.ndarray:
    from pymatgen.core import Composition

    mf = _matminer(preset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([mf.featurize(Composition(f)) for f in formulas], dtype=np.float64)


def _assert_exact(ours: np.ndarray, ref: np.ndarray) -> None:
    assert ours.shape == ref.shape
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    rel = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))
    assert np.nanmax(rel) <= 1e-9


def _sample(path, n: int, seed: int) -> list[str]:
    return pd.read_csv(path).formula.sample(n, random_state=seed).tolist()


# ----------------------------------------------------------------------------- exactness
def test_exact_vs_matminer_oqmd(shared_data):
    formulas = _sample(
        shared_data / "composition" / "oqmd_formation_enthalpy" / "test.csv.gz", 1500, 0
    )
    ours = CompositionFeaturizer().fit_transform(formulas)
    _assert_exact(ours, _reference(formulas))


@pytest.mark.parametrize("preset", ["irnet", "magpie"])
def test_exact_vs_matminer_matbench_styles(shared_data, preset):
    mb = shared_data / "composition" / "matbench"
    formulas = _sample(mb / "expt_gap.csv.gz", 200, 1) + _sample(mb / "mp_e_form.csv.gz", 200, 2)
    formulas += ["Ag(AuS)2", "Lu(MnGe)6", "Ag0.5Ge1Pb1.75S4", "Fe0.620C0.000953Mn0.0107Si0.0053"]
    ours = CompositionFeaturizer(preset=preset).fit_transform(formulas)
    _assert_exact(ours, _reference(formulas, preset))


def test_exact_edge_elements():
    # noble gases (no oxidation states, no electronegativity), imputed Magpie data (Z >= 113),
    # single elements, mode ties, many-oxidation-state elements
    formulas = ["He", "Ne2Xe", "ArCl", "OgFe", "NhO2", "Fe", "NaCl", "CClBrIS", "Fe3O4", "CO2"]
    for preset in ("irnet", "magpie"):
        ours = CompositionFeaturizer(preset=preset).fit_transform(formulas)
        _assert_exact(ours, _reference(formulas, preset))


@pytest.mark.slow
def test_exact_vs_matminer_oqmd_large(shared_data):
    formulas = _sample(
        shared_data / "composition" / "oqmd_formation_enthalpy" / "test.csv.gz", 10000, 3
    )
    _assert_exact(CompositionFeaturizer().fit_transform(formulas), _reference(formulas))


# ----------------------------------------------------------------------------- inputs
def test_formula_styles_and_known_values():
    X = CompositionFeaturizer().fit_transform(
        ["Ta2Te1Zr1", "Ag(AuS)2", "Lu(MnGe)6", "Ag0.5Ge1Pb1.75S4", "Fe0.620C0.000953"]
    )
    assert X.shape == (5, 145)
    np.testing.assert_array_equal(X[:, 0], [3, 3, 3, 4, 2])  # 0-norm: number of elements
    # Ag(AuS)2 = Ag1 Au2 S2: 2-norm of fractions (0.2, 0.4, 0.4)
    assert X[1, 1] == pytest.approx(np.sqrt(0.04 + 0.16 + 0.16), abs=1e-12)


def test_composition_objects_and_duplicates():
    from pymatgen.core import Composition

    f = CompositionFeaturizer().fit(["NaCl"])
    strings = f.transform(["NaCl", "Fe2O3", "NaCl"])
    comps = f.transform([Composition("NaCl"), Composition("Fe2O3"), Composition("NaCl")])
    np.testing.assert_array_equal(strings, comps)
    np.testing.assert_array_equal(strings[0], strings[2])


def test_oxidation_state_composition_matches_matminer():
    from pymatgen.core import Composition, Species

    comps = [
        Composition({Species("Fe", 2): 1, Species("Fe", 3): 2, Species("O", -2): 4}),
        Composition({Species("Na", 1): 1, Species("Cl", -1): 2}),
    ]
    ours = CompositionFeaturizer().fit_transform(comps)
    mf = _matminer()
    ref = np.array([mf.featurize(c) for c in comps], dtype=np.float64)
    _assert_exact(ours, ref)
    cpd = list(CompositionFeaturizer().fit(comps).get_feature_names_out()).index(
        "compound possible"
    )
    np.testing.assert_array_equal(ours[:, cpd], [1.0, 0.0])


def test_dataframe_column_and_numpy_inputs():
    df = pd.DataFrame({"formula": ["NaCl", "Fe2O3"], "y": [1.0, 2.0]}, index=[10, 20])
    f = CompositionFeaturizer(column="formula")
    X_df = f.fit_transform(df)
    X_list = CompositionFeaturizer().fit_transform(["NaCl", "Fe2O3"])
    X_2d = CompositionFeaturizer().fit_transform(np.array([["NaCl"], ["Fe2O3"]], dtype=object))
    np.testing.assert_array_equal(X_df, X_list)
    np.testing.assert_array_equal(X_2d, X_list)
    with pytest.raises(ValueError, match="set column="):
        CompositionFeaturizer().fit_transform(df)
    with pytest.raises(ValueError, match="column 'nope' not found"):
        CompositionFeaturizer(column="nope").fit_transform(df)
    with pytest.raises(ValueError, match="single value"):
        CompositionFeaturizer().fit_transform("NaCl")


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Xx2O", "unknown element"),
        ("", "empty formula"),
        (None, "missing value"),
        (float("nan"), "missing value"),
        ("Fe-1O", "negative amount"),
        ("Fe0O", "zero amount"),
        ("Fe0.0Ni", "zero amount"),
        ("Ag(AuS2", "unbalanced parentheses"),
        ("Fe2O3)", "unbalanced parentheses"),
        ("garbage", "invalid formula"),
        ("2-Feb", "invalid formula"),
        (42, "expected a formula string"),
    ],
)
def test_bad_input_raises_with_row_and_value(value, reason):
    f = CompositionFeaturizer().fit(["NaCl"])
    with pytest.raises(ValueError, match=reason) as excinfo:
        f.transform(["NaCl", "Fe2O3", value])
    msg = str(excinfo.value)
    assert "row 2" in msg
    assert repr(value) in msg


def test_bad_input_names_pandas_index_label():
    s = pd.Series(["NaCl", "Xx2O"], index=["a", "b"])
    with pytest.raises(ValueError, match=r"row 1 \(index 'b'\): 'Xx2O': unknown element"):
        CompositionFeaturizer().fit_transform(s)


def test_errors_nan_fills_rows_and_warns_once():
    f = CompositionFeaturizer(errors="nan")
    values = ["NaCl", "Xx2O", "", None, "Fe2O3", "Xx2O", "Ag(AuS2"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = f.fit_transform(values)
    ours = [w for w in caught if "could not be featurized" in str(w.message)]
    assert len(ours) == 1
    assert ours[0].category is FeaturizationWarning
    assert ours[0].filename == __file__  # the user's line, not sklearn's set_output wrapper
    msg = str(ours[0].message)
    assert msg.startswith("CompositionFeaturizer: 5 of 7 row(s) could not be featurized")
    assert "'Xx2O'" in msg and "row 1" in msg
    bad = np.isnan(X).all(axis=1)
    np.testing.assert_array_equal(bad, [False, True, True, True, False, True, True])
    assert not np.isnan(X[~bad]).any()


def test_invalid_params():
    with pytest.raises(ValueError, match="preset"):
        CompositionFeaturizer(preset="nope").fit(["NaCl"])
    with pytest.raises(ValueError, match="errors"):
        CompositionFeaturizer(errors="ignore").fit(["NaCl"])


# ----------------------------------------------------------------------------- sklearn API
def test_feature_names_and_pandas_output():
    f = CompositionFeaturizer().set_output(transform="pandas")
    s = pd.Series(["NaCl", "Fe2O3", "Ag(AuS)2"], index=[7, 3, 5], name="formula")
    out = f.fit_transform(s)
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == [7, 3, 5]
    names = f.get_feature_names_out()
    assert list(out.columns) == list(names) == list(_matminer().feature_labels())
    assert len(names) == 145
    assert names[0] == "0-norm" and "MagpieData mode SpaceGroupNumber" in names
    assert names[-1] == "avg ionic char"
    assert all(out.dtypes == np.float64)
    magpie_names = CompositionFeaturizer(preset="magpie").fit(["NaCl"]).get_feature_names_out()
    assert "frac s valence electrons" in magpie_names


def test_clone_get_params_and_fitted_attributes():
    f = CompositionFeaturizer(
        preset="magpie", column="f", errors="nan", n_jobs=2, progress_bar=False
    )
    g = clone(f)
    assert g.get_params() == f.get_params()
    assert g.get_params()["preset"] == "magpie"
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        g.transform(["NaCl"])
    g.fit(pd.DataFrame({"f": ["NaCl"]}))
    assert g.n_features_in_ == 1
    assert g.n_features_out_ == 145
    assert list(g.feature_names_in_) == ["f"]
    # several columns: all are input columns (as in scikit-learn), the formulas are one
    g.fit(pd.DataFrame({"f": ["NaCl"], "y": [1.0], "z": [2.0]}))
    assert g.n_features_in_ == 3 and list(g.feature_names_in_) == ["f", "y", "z"]
    g.fit(["NaCl"])  # a refit on a list forgets the old column names
    assert g.n_features_in_ == 1 and not hasattr(g, "feature_names_in_")


def test_pandas_missing_values_are_reported_as_missing():
    values = pd.Series(["NaCl", pd.NA], dtype="string")
    with pytest.raises(ValueError, match=r"row 1: <NA>: missing value"):
        CompositionFeaturizer().fit_transform(values)
    with pytest.warns(FeaturizationWarning, match="1 of 2 row"):
        out = CompositionFeaturizer(errors="nan").fit_transform(values)
    assert np.isnan(out[1]).all() and not np.isnan(out[0]).any()


def test_pipeline_with_scaler():
    pipe = Pipeline([("features", CompositionFeaturizer()), ("scale", StandardScaler())])
    Z = pipe.fit_transform(["NaCl", "Fe2O3", "Ag(AuS)2", "Ta2Te1Zr1"])
    assert Z.shape == (4, 145)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-9)


def test_n_jobs_and_progress_give_same_result(shared_data, monkeypatch, capsys):
    from skirnet.featurizers import composition

    monkeypatch.setattr(composition, "_PARSE_CHUNK", 100)  # 4 chunks: two workers
    formulas = _sample(
        shared_data / "composition" / "oqmd_formation_enthalpy" / "val.csv.gz", 400, 4
    )
    serial = CompositionFeaturizer(progress_bar=False).fit_transform(formulas)
    assert capsys.readouterr().err == ""
    parallel = CompositionFeaturizer(n_jobs=2, progress_bar=True).fit_transform(formulas)
    assert "CompositionFeaturizer" in capsys.readouterr().err
    np.testing.assert_array_equal(serial, parallel)


def test_warning_points_at_the_user_through_pipelines_and_joblib():
    from sklearn.compose import ColumnTransformer

    frame = pd.DataFrame({"formula": ["NaCl", "Xx2O"]})
    transformer = ColumnTransformer([("magpie", CompositionFeaturizer(errors="nan"), "formula")])
    with pytest.warns(FeaturizationWarning, match="could not be featurized") as caught:
        transformer.fit_transform(frame)  # sklearn runs the featurizer through joblib
    assert caught[0].filename == __file__


# ----------------------------------------------------------------------------- issue 16 #6, #12
@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("Fe1e400", "amount of Fe overflows"),
        ("Fe" + "1" * 400, "amount of Fe overflows"),
        ("Fe1e308", r"1e\+308 atoms per formula unit, more than 1e\+06"),
        ("Fe1e308O1e308", "more than 1e"),
        ("Fe2000000O", "more than 1e"),
    ],
)
def test_overflowing_or_absurd_amounts_are_bad_input(formula, reason):
    with pytest.raises(ValueError, match=rf"row 1: .*{reason}") as excinfo:
        CompositionFeaturizer().fit_transform(["NaCl", formula])
    assert repr(formula)[:40] in str(excinfo.value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = CompositionFeaturizer(errors="nan").fit_transform(["NaCl", formula])
    assert [w.category for w in caught] == [FeaturizationWarning]  # no numpy warnings
    assert np.isnan(X[1]).all() and np.isfinite(X[0]).all()


def test_largest_real_amounts_still_featurize():
    X = CompositionFeaturizer().fit_transform(["Bi4C100H292Si40Te8", "Fe999999O"])
    assert np.isfinite(X).all()


@pytest.mark.parametrize(
    ("X", "kind"), [(b"NaCl", "bytes"), (bytearray(b"NaCl"), "bytearray"), ({"NaCl": 1}, "dict")]
)
def test_bytes_and_dicts_are_not_sequences_of_formulas(X, kind):
    with pytest.raises(TypeError, match=rf"expected a 1-D sequence of formulas, got a {kind}"):
        CompositionFeaturizer().fit_transform(X)


def test_bytes_row_names_the_row_and_type():
    with pytest.raises(ValueError, match=r"row 1: b'KCl': expected a formula string .* got bytes"):
        CompositionFeaturizer().fit_transform(["NaCl", b"KCl"])


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_n_jobs_is_validated_for_small_inputs(n_jobs):
    with pytest.raises(ValueError, match="'n_jobs' parameter of CompositionFeaturizer"):
        CompositionFeaturizer(n_jobs=n_jobs).fit_transform(["NaCl"])


# ----------------------------------------------------------------------------- fractions preset
ELEMNET_86 = (
    "H Li Be B C N O F Na Mg Al Si P S Cl K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy "
    "Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Ac Th Pa U Np Pu"
).split()  # elements_tl of NU-CUCIS/ElemNet, elemnet/data_utils.py


def _reference_fractions(formulas: list) -> np.ndarray:
    from pymatgen.core import Composition

    out = np.full((len(formulas), 86), np.nan)
    for i, f in enumerate(formulas):
        comp = Composition(f)
        if all(el.symbol in ELEMNET_86 for el in comp.elements):
            out[i] = [comp.get_atomic_fraction(el) for el in ELEMNET_86]
    return out


def test_elemnet_elements_are_elemnets():
    assert list(ELEMNET_ELEMENTS) == ELEMNET_86 and len(ELEMNET_ELEMENTS) == 86


def test_fractions_exact_against_definition(shared_data):
    mb = shared_data / "composition" / "matbench"
    formulas = _sample(mb / "mp_e_form.csv.gz", 300, 5) + ["Ag(AuS)2", "Ag0.5Ge1Pb1.75S4", "Fe2O3"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeaturizationWarning)
        ours = CompositionFeaturizer(preset="fractions", errors="nan").fit_transform(formulas)
    ref = _reference_fractions(formulas)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-15)
    ok = ~np.isnan(ours).any(axis=1)
    assert ok.sum() > 250
    np.testing.assert_allclose(ours[ok].sum(axis=1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(ours[-1][[ELEMNET_86.index("Fe"), ELEMNET_86.index("O")]],
                                  [0.4, 0.6])  # fmt: skip


def test_fractions_names_and_combined_presets():
    formulas = ["NaCl", "Fe2O3", "Ag(AuS)2"]
    frac = CompositionFeaturizer(preset="fractions").fit(formulas)
    assert list(frac.get_feature_names_out()) == [f"frac_{e}" for e in ELEMNET_86]
    for magpie in ("irnet", "magpie"):
        both = CompositionFeaturizer(preset=f"{magpie}+fractions").set_output(transform="pandas")
        out = both.fit_transform(formulas)
        assert out.shape == (3, 231)
        np.testing.assert_array_equal(
            out.to_numpy()[:, :145], CompositionFeaturizer(preset=magpie).fit_transform(formulas)
        )
        np.testing.assert_array_equal(out.to_numpy()[:, 145:], frac.transform(formulas))
        assert list(out.columns[:145]) == list(_matminer(magpie).feature_labels())
        assert out.columns[145] == "frac_H"


def test_fractions_reject_elements_outside_the_86():
    with pytest.raises(ValueError, match=r"row 2: 'ArCl': element\(s\) 'Ar' not among the 86"):
        CompositionFeaturizer(preset="fractions").fit_transform(["NaCl", "Fe2O3", "ArCl"])
    with pytest.raises(ValueError, match=r"row 0 \(index 'x'\): 'RaPoHe': element\(s\)"):
        CompositionFeaturizer(preset="irnet+fractions").fit_transform(
            pd.Series(["RaPoHe"], index=["x"])
        )
    with pytest.warns(FeaturizationWarning, match="2 of 3 row") as caught:
        X = CompositionFeaturizer(preset="magpie+fractions", errors="nan").fit_transform(
            ["He", "NaCl", "Og2O"]
        )
    assert "'He'" in str(caught[0].message)
    assert np.isnan(X[[0, 2]]).all() and np.isfinite(X[1]).all()
    # without the fractions, noble gases are fine (matminer's imputation)
    assert np.isfinite(CompositionFeaturizer().fit_transform(["He", "ArCl"])).all()


# ----------------------------------------------------------------------------- base API
def test_feature_labels_citations_and_deprecated_progress():
    f = CompositionFeaturizer(preset="fractions")
    assert f.feature_labels() == [f"frac_{e}" for e in ELEMNET_86]
    assert any("ElemNet" in c for c in f.citations())
    assert any("matminer" in c.lower() for c in CompositionFeaturizer().citations())
    with pytest.warns(FutureWarning, match=r"progress=\.\.\.\) is deprecated.*progress_bar"):
        CompositionFeaturizer(progress=False).fit(["NaCl"])
    old = CompositionFeaturizer(progress=None, progress_bar=False)  # saved models pass None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old.fit_transform(["NaCl"])
